// A sweep's results as a committed file: one JSON line per trial that ended (finished or diverged),
// with its config, seed, metric history and the code that produced it. `sweep run --results FILE`
// loads the file into the store first, so its trials count as done, and appends each trial as it
// ends; a later run, on this machine or a fresh one, picks up where the file stops.
//
// The file is data from outside like any other input: each line is validated (the config through
// resolveConfig, the result through validateTrialResult) and a bad line is a one-line error naming
// the file and the line.

import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { readInputText } from '../util/input-file.ts';
import type { RunStore, RunRecord } from '../store/index.ts';
import { DEFAULT_CONFIG, resolveConfig, type TrainConfig } from '../train/index.ts';
import { provenance, type Provenance } from '../util/provenance.ts';
import { SpecError, type Sweep, type Trial } from './spec.ts';
import { encodeResult, recordTrialResult, trialSeconds, validateTrialResult, type TrialResult } from './trial-result.ts';
import { sameTraining } from './identical.ts';

export const RESULTS_FORMAT = 'sgdlab-trial/1';

export interface ExportedTrial {
  format: typeof RESULTS_FORMAT;
  /** The sweep's name (its id changes when its grid does; the name and the trial key do not). */
  sweep: string;
  trialKey: string;
  config: TrainConfig;
  result: Omit<TrialResult, 'worker'>;
  /** The code and machine that trained it. */
  provenance: Provenance | null;
  /** When the run was created and last written in the store that trained it. */
  startedAt?: string;
  endedAt?: string;
  exportedAt: string;
}

/** Keys that name this machine's files or threads, not the experiment: ignored when matching a trial. */
const MACHINE_KEYS = new Set(['dataDir', 'threads']);

/**
 * Whether a stored config is the trial's: equal on every key, a key missing on one side counting as
 * its default (so results written before a config key existed still match trials that leave it at
 * its default).
 */
export function sameTrialConfig(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const defaults = DEFAULT_CONFIG as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (MACHINE_KEYS.has(key) || key === 'effectiveLr') continue;
    const own = (o: Record<string, unknown>) => (Object.hasOwn(o, key) ? o[key] : Object.hasOwn(defaults, key) ? defaults[key] : undefined);
    if (JSON.stringify(own(a)) !== JSON.stringify(own(b))) return false;
  }
  return true;
}

function parseLine(line: string, where: string): ExportedTrial {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new SpecError(`${where}: not a JSON line`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SpecError(`${where}: not an object`);
  const r = raw as Record<string, unknown>;
  if (r.format !== RESULTS_FORMAT) throw new SpecError(`${where}: format is not ${RESULTS_FORMAT}`);
  if (typeof r.sweep !== 'string' || r.sweep === '') throw new SpecError(`${where}: no sweep name`);
  if (typeof r.trialKey !== 'string' || r.trialKey === '') throw new SpecError(`${where}: no trial key`);
  if (typeof r.config !== 'object' || r.config === null || Array.isArray(r.config)) throw new SpecError(`${where}: config is not an object`);
  let config: TrainConfig;
  try {
    config = resolveConfig(r.config as Record<string, unknown>, 'config');
  } catch (e) {
    throw new SpecError(`${where}: ${(e as Error).message}`);
  }
  let result: TrialResult;
  try {
    result = validateTrialResult({ ...(r.result as object), trialKey: r.trialKey }, r.trialKey);
  } catch (e) {
    throw new SpecError(`${where}: ${(e as Error).message}`);
  }
  if (result.status === 'failed') throw new SpecError(`${where}: a failed trial is not a result`);
  const { worker: _worker, ...kept } = result;
  return {
    format: RESULTS_FORMAT,
    sweep: r.sweep,
    trialKey: r.trialKey,
    config,
    result: kept,
    provenance: typeof r.provenance === 'object' && r.provenance !== null ? (r.provenance as Provenance) : null,
    ...(typeof r.startedAt === 'string' ? { startedAt: r.startedAt } : {}),
    ...(typeof r.endedAt === 'string' ? { endedAt: r.endedAt } : {}),
    exportedAt: typeof r.exportedAt === 'string' ? r.exportedAt : '',
  };
}

/** Every trial in a results file (none when it does not exist yet, unless `mustExist`). */
export function readResultsFile(path: string, options: { mustExist?: boolean } = {}): ExportedTrial[] {
  if (!options.mustExist && !existsSync(path)) return [];
  const text = readInputText(path, 'results', `--results ${path}`);
  const out: ExportedTrial[] = [];
  // The lines of each (sweep, trial key), to find one trial recorded twice with different results.
  const seen = new Map<string, { line: number; record: ExportedTrial }[]>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    const record = parseLine(line, where);
    const key = `${record.sweep}\0${record.trialKey}`;
    const earlier = seen.get(key) ?? [];
    for (const e of earlier) {
      if (!sameTrialConfig(e.record.config as unknown as Record<string, unknown>, record.config as unknown as Record<string, unknown>)) continue;
      // The same trial written twice (exported twice) is harmless; two different outcomes are not.
      if (encodeResult(e.record.result as TrialResult) !== encodeResult(record.result as TrialResult)) {
        throw new SpecError(`${where}: trial ${record.trialKey} of sweep ${record.sweep} is also on line ${e.line} with a different result; keep one of the two lines`);
      }
    }
    earlier.push({ line: i + 1, record });
    seen.set(key, earlier);
    out.push(record);
  });
  return out;
}

/**
 * The file's record of a trial: same sweep name, trial key and config; else the record of an identical training
 * from any sweep (src/sweep/identical.ts: the same config, budget and evaluation steps), which is then not
 * trained again and not appended again.
 */
export function recordOf(records: readonly ExportedTrial[], sweep: Sweep, trial: Trial): ExportedTrial | undefined {
  return (
    records.find((r) => r.sweep === sweep.spec.name && r.trialKey === trial.key && sameTrialConfig(r.config as unknown as Record<string, unknown>, trial.config as unknown as Record<string, unknown>)) ??
    records.find((r) => sameTraining(r.config, trial.config))
  );
}

/** Put the file's trials of this sweep into the store (those not already done there); returns how many were added. */
export function importResults(store: RunStore, sweep: Sweep, records: readonly ExportedTrial[]): number {
  let added = 0;
  for (const trial of sweep.trials) {
    const record = recordOf(records, sweep, trial);
    if (record && recordTrialResult(store, sweep.id, trial, { ...record.result, worker: 'results file' })) added++;
  }
  return added;
}

/**
 * A finished or diverged run of the store as a results-file record. `seconds`: the trial's wall time in all
 * the processes that trained it, as its last evaluation's wall_time says (src/train/recorder.ts); at least
 * the time the caller timed, else the run's record span (created to last updated) for runs without it.
 */
export function exportRun(store: RunStore, sweep: Sweep, trial: Trial, run: RunRecord, seconds?: number): ExportedTrial {
  if (run.status !== 'finished' && run.status !== 'diverged') throw new SpecError(`trial ${trial.key}: run ${run.id} is ${run.status}, not a result`);
  const history = store.metrics(run.id);
  const span = (Date.parse(run.updatedAt) - Date.parse(run.createdAt)) / 1000;
  return {
    format: RESULTS_FORMAT,
    sweep: sweep.spec.name,
    trialKey: trial.key,
    config: trial.config,
    result: {
      trialKey: trial.key,
      status: run.status,
      ...(run.status === 'diverged' && run.divergedAtStep !== null ? { divergedAtStep: run.divergedAtStep } : {}),
      final: run.final,
      best: run.best,
      history,
      seconds: trialSeconds(history, seconds ?? (Number.isFinite(span) && span >= 0 ? span : 0)),
    },
    startedAt: run.createdAt,
    endedAt: run.updatedAt,
    // The process that trained the run (the store keeps it since schema 3), else this one: the same checkout.
    provenance: (run.provenance as unknown as Provenance | null) ?? provenance(),
    exportedAt: new Date().toISOString(),
  };
}

/**
 * Append one record as one line (one write, so a reader never sees half a line from a live writer).
 * A file whose last line has no newline (edited by hand, cut off) gets one first: glued to the
 * previous record, the new one would make the whole file unreadable.
 */
export function appendResult(path: string, record: ExportedTrial): void {
  // encodeResult keeps NaN and ±Infinity (a diverged run's loss) as strings, as the queue does.
  const line = `${encodeResult(record as unknown as TrialResult)}\n`;
  appendFileSync(path, endsWithoutNewline(path) ? `\n${line}` : line);
}

function endsWithoutNewline(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false; // no file yet: appendFileSync creates it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Append every trial of the sweep that is done in the store and not yet in the file; returns how many. */
export function exportSweepResults(store: RunStore, sweep: Sweep, path: string): number {
  const records = readResultsFile(path);
  const runs = new Map(store.listRuns({ sweepId: sweep.id }).filter((r) => r.trialKey !== null).map((r) => [r.trialKey!, r]));
  let added = 0;
  for (const trial of sweep.trials) {
    const run = runs.get(trial.key);
    if (!run || (run.status !== 'finished' && run.status !== 'diverged') || recordOf(records, sweep, trial)) continue;
    appendResult(path, exportRun(store, sweep, trial, run));
    added++;
  }
  return added;
}
