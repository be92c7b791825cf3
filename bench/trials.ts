// npm run bench -- --trials: what a researcher waits for. The wall time of a whole `sgdlab train`
// (process start, data load, compiles, epochs, evaluations, store and checkpoints) for the
// Fashion-MNIST MLP of the reproduction (sweeps/fashion-mnist/), where its time goes (the evaluation
// pass against the epochs, from train()'s own progress and evaluation reports), and sweep throughput
// with 1 thread × 2 workers against 2 threads × 1 worker.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunStore } from '../src/store/index.ts';
import { resolveConfig, train } from '../src/train/index.ts';
import { foreignLoadMeter, median, quietGate, table, waitForQuiet } from './lib.ts';

/** CPU seconds of this process's reaped children and their descendants (/proc/self/stat cutime + cstime), 0 off Linux. */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

/** Cores other processes used over a window, the bench's own child processes not counted as other. */
function otherLoadMeter(): () => number {
  const stop = foreignLoadMeter();
  const t0 = performance.now();
  const c0 = childCpuSeconds();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    return Math.max(0, stop() - (childCpuSeconds() - c0) / wall);
  };
}

const SGDLAB = fileURLToPath(new URL('../bin/sgdlab', import.meta.url));

/** The reproduction's trial (sweeps/fashion-mnist/fig6a.yaml: 120 epochs, evaluation every 10). */
export const REPRODUCTION = { data: 'fashion-mnist', trainSize: 10240, model: 'mlp:256x3', batch: 16, lr: '2^-9', epochs: 120, evalEvery: 10 } as const;

export interface TrialSettings { trainSize: number; epochs: number; evalEvery: number; rounds: number; sweepSeeds: number; sweepEpochs: number; sweepRounds: number }

export function trialSettings(quick: boolean): TrialSettings {
  return quick
    ? { trainSize: 512, epochs: 2, evalEvery: 1, rounds: 1, sweepSeeds: 1, sweepEpochs: 1, sweepRounds: 1 }
    : { trainSize: REPRODUCTION.trainSize, epochs: 6, evalEvery: 2, rounds: 3, sweepSeeds: 4, sweepEpochs: 4, sweepRounds: 2 };
}

export interface TrialRow {
  label: string;
  lambda: number;
  epochs: number;
  evalEvery: number;
  /** `sgdlab train` as a child process, spawn to exit (median over rounds). */
  cliSeconds: number;
  /** The same, as the CLI itself reports it (train() only: no process start or module loading). */
  cliTrainSeconds: number;
  /** In-process train() with a store and checkpoints like the CLI's, broken down by its reports. */
  inProcessSeconds: number;
  /** Start → first update returned: data load, compiles and epoch 1 (one epoch is one call). */
  firstEpochSeconds: number;
  /** Median epoch after the first (updates, batch assembly, checkpoints). */
  epochSeconds: number;
  /** ONNX Runtime time of the updates alone (steps / train()'s steps per second). */
  updateSeconds: number;
  /** Each evaluation: its last progress report → its evaluation report (metrics.evaluate and the store append). */
  evaluationSeconds: number[];
  /** Time in evaluation / the in-process trial's time. */
  evaluationShare: number;
  /** Evaluation share of the reproduction's trial (120 epochs, evaluation every 10), from the parts above; null off its training-set size. */
  reproductionEvaluationShare: number | null;
  reproductionTrialSeconds: number | null;
  foreignLoad: number;
}

export interface SweepRow {
  threads: number;
  workers: number;
  trials: number;
  /** `sgdlab sweep run` spawn to exit, per round. */
  seconds: number[];
  trialsPerHour: number;
  foreignLoad: number;
}

export interface TrialBench { settings: TrialSettings; threads: number; trials: TrialRow[]; sweeps: SweepRow[] }

function run(cmd: string, args: string[]): Promise<{ seconds: number; stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ seconds: (performance.now() - t0) / 1000, stdout, stderr, code }));
  });
}

function lastJsonLine<T>(what: string, r: { stdout: string; stderr: string; code: number | null }): T {
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (r.code !== 0 || !line) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  return JSON.parse(line) as T;
}

const trainFlags = (o: { trainSize: number; epochs: number; evalEvery: number; lambda: number; threads: number }): Record<string, string> => ({
  data: REPRODUCTION.data, 'train-size': String(o.trainSize), model: REPRODUCTION.model, batch: String(REPRODUCTION.batch),
  lr: REPRODUCTION.lr, lambda: o.lambda === 0 ? '0' : `2^${Math.log2(o.lambda)}`, epochs: String(o.epochs), 'eval-every': String(o.evalEvery), threads: String(o.threads),
});

/** One in-process train() with the CLI's store and checkpoints, timed through its progress and evaluation reports. */
async function inProcessTrial(dir: string, flags: Record<string, string>): Promise<{ seconds: number; events: { t: number; kind: 'progress' | 'evaluation'; epoch: number }[]; updateSeconds: number }> {
  const config = resolveConfig({
    data: flags.data, trainSize: Number(flags['train-size']), model: flags.model, batch: Number(flags.batch), lr: flags.lr,
    lambda: flags.lambda, epochs: Number(flags.epochs), evalEvery: Number(flags['eval-every']), threads: Number(flags.threads),
  }, 'bench --trials');
  const store = RunStore.open(join(dir, 'in-process.db'));
  const events: { t: number; kind: 'progress' | 'evaluation'; epoch: number }[] = [];
  const t0 = performance.now();
  try {
    const r = await train(config, {
      store, checkpointDir: join(dir, 'checkpoints'),
      onProgress: (p) => events.push({ t: performance.now() - t0, kind: 'progress', epoch: p.epoch }),
      onEvaluation: (epoch) => events.push({ t: performance.now() - t0, kind: 'evaluation', epoch }),
    });
    if (r.status !== 'finished') throw new Error(`bench --trials: the trial ${r.status}`);
    return { seconds: (performance.now() - t0) / 1000, events, updateSeconds: r.steps / r.stepsPerSec };
  } finally {
    store.close();
  }
}

async function trialRow(label: string, lambda: number, s: TrialSettings, threads: number, log: (s: string) => void): Promise<TrialRow> {
  const flags = trainFlags({ trainSize: s.trainSize, epochs: s.epochs, evalEvery: s.evalEvery, lambda, threads });
  const cli: number[] = [];
  const cliTrain: number[] = [];
  const inProcess: { seconds: number; firstEpoch: number; epochs: number[]; evaluations: number[]; updates: number }[] = [];
  let load = 0;
  for (let round = 0; round < s.rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'sgdlab-bench-trial-'));
    try {
      await waitForQuiet(quietGate.maxSeconds);
      const meter = otherLoadMeter();
      // The whole command, as a user runs it.
      const r = await run(SGDLAB, ['train', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]), '--json', '--store', join(dir, 'cli-runs.db')]);
      const summary = lastJsonLine<{ wallSeconds: number; status: string }>(`sgdlab train (${label})`, r);
      if (summary.status !== 'finished') throw new Error(`sgdlab train (${label}): ${summary.status}`);
      cli.push(r.seconds);
      cliTrain.push(summary.wallSeconds);
      // The same trial in this process, where train() reports when each update call and each evaluation ends.
      const p = await inProcessTrial(dir, flags);
      load += meter() / s.rounds;
      const evaluations: number[] = [];
      const byEpoch = new Map<number, number>();
      let firstEpoch = NaN;
      let previous = 0;
      for (const e of p.events) {
        if (e.kind === 'evaluation') evaluations.push(e.t - previous);
        else if (e.epoch === 0) firstEpoch = e.t;
        else byEpoch.set(e.epoch, (byEpoch.get(e.epoch) ?? 0) + e.t - previous);
        previous = e.t;
      }
      const epochs = [...byEpoch.values()];
      inProcess.push({ seconds: p.seconds, firstEpoch: firstEpoch / 1000, epochs: epochs.map((x) => x / 1000), evaluations: evaluations.map((x) => x / 1000), updates: p.updateSeconds });
      log(`trial ${label} round ${round + 1}: sgdlab train ${r.seconds.toFixed(1)} s; in process ${p.seconds.toFixed(1)} s, evaluations ${evaluations.map((x) => (x / 1000).toFixed(2)).join(', ')} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // The round of median in-process time stands for the trial (its parts add up).
  const mid = [...inProcess].sort((a, b) => a.seconds - b.seconds)[(inProcess.length - 1) >> 1]!;
  const evalTotal = mid.evaluations.reduce((a, b) => a + b, 0);
  const epochSeconds = mid.epochs.length ? median(mid.epochs) : mid.firstEpoch;
  // The reproduction's trial from the measured parts (only when the training set is the reproduction's):
  // start-up and epoch 1 once, 119 more epochs, and 12 evaluations (the first, which compiles the
  // evaluation programs, as measured; the others as the median later one).
  const laterEval = mid.evaluations.length > 1 ? median(mid.evaluations.slice(1)) : mid.evaluations[0]!;
  const reproEvalSeconds = mid.evaluations[0]! + (Math.ceil(REPRODUCTION.epochs / REPRODUCTION.evalEvery) - 1) * laterEval;
  const reproTrial = s.trainSize === REPRODUCTION.trainSize ? mid.firstEpoch + (REPRODUCTION.epochs - 1) * epochSeconds + reproEvalSeconds : null;
  return {
    label, lambda, epochs: s.epochs, evalEvery: s.evalEvery,
    cliSeconds: median(cli), cliTrainSeconds: median(cliTrain), inProcessSeconds: mid.seconds,
    firstEpochSeconds: mid.firstEpoch, epochSeconds, updateSeconds: mid.updates, evaluationSeconds: mid.evaluations,
    evaluationShare: evalTotal / mid.seconds,
    reproductionEvaluationShare: reproTrial === null ? null : reproEvalSeconds / reproTrial,
    reproductionTrialSeconds: reproTrial,
    foreignLoad: load,
  };
}

function sweepSpec(s: TrialSettings, threads: number, workers: number): string {
  return [
    `# bench --trials: sweep throughput at ${threads} thread(s) × ${workers} worker(s)`,
    `name: bench throughput ${threads}x${workers}`,
    `base: { data: ${REPRODUCTION.data}, trainSize: ${s.trainSize}, model: "${REPRODUCTION.model}", batch: ${REPRODUCTION.batch}, lr: ${REPRODUCTION.lr}, epochs: ${s.sweepEpochs}, evalEvery: ${Math.min(s.evalEvery, s.sweepEpochs)}, threads: ${threads} }`,
    'axes:',
    '  lambda: [0, 2^-2]',
    `  seed: ${s.sweepSeeds}`,
    `scoring: { best: ${s.sweepSeeds}, of: ${s.sweepSeeds} }`,
    '',
  ].join('\n');
}

async function sweepRound(s: TrialSettings, threads: number, workers: number): Promise<{ seconds: number; trials: number; load: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-bench-sweep-'));
  try {
    const specPath = join(dir, 'spec.yaml');
    writeFileSync(specPath, sweepSpec(s, threads, workers));
    await waitForQuiet(quietGate.maxSeconds);
    const meter = otherLoadMeter();
    const r = await run(SGDLAB, ['sweep', 'run', specPath, '--workers', String(workers), '--store', join(dir, 'runs.db'), '--json']);
    const load = meter();
    const { report } = lastJsonLine<{ report: { ran: number; finished: number; failed: number; diverged: number } }>(`sgdlab sweep run (${threads}×${workers})`, r);
    if (report.failed > 0) throw new Error(`sgdlab sweep run (${threads}×${workers}): ${report.failed} trial(s) failed`);
    return { seconds: r.seconds, trials: report.ran, load };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runTrialBench(o: { threads: number; quick: boolean }, log: (s: string) => void): Promise<TrialBench> {
  const s = trialSettings(o.quick);
  const trials = [
    await trialRow('plain', 0, s, o.threads, log),
    await trialRow('λ = 2^-2', 2 ** -2, s, o.threads, log),
  ];
  // 1 thread × 2 workers against 2 threads × 1 worker, alternating rounds (the machine's speed drifts).
  const layouts = [{ threads: 1, workers: 2 }, { threads: 2, workers: 1 }];
  const rounds = layouts.map(() => [] as { seconds: number; trials: number; load: number }[]);
  for (let round = 0; round < s.sweepRounds; round++) {
    for (const [i, l] of layouts.entries()) {
      const r = await sweepRound(s, l.threads, l.workers);
      rounds[i]!.push(r);
      log(`sweep ${l.threads} thread(s) × ${l.workers} worker(s) round ${round + 1}: ${r.trials} trials in ${r.seconds.toFixed(1)} s`);
    }
  }
  const sweeps = layouts.map((l, i) => {
    const rs = rounds[i]!;
    const seconds = rs.map((r) => r.seconds);
    return { ...l, trials: rs[0]!.trials, seconds, trialsPerHour: (rs[0]!.trials * 3600) / median(seconds), foreignLoad: rs.reduce((a, r) => a + r.load, 0) / rs.length };
  });
  return { settings: s, threads: o.threads, trials, sweeps };
}

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

/** The --trials report: the tables, what each column is, and issue 18's evaluation target. */
export function trialsMarkdown(b: TrialBench, header: string[]): string {
  const s = b.settings;
  const share = b.trials.map((t) => t.reproductionEvaluationShare);
  const met = share.every((x) => x !== null) ? share.every((x) => x! <= 0.3) : null;
  return [
    '# sgdlab trial benchmark',
    '',
    ...header,
    '',
    `## One trial: \`sgdlab train --data fashion-mnist --train-size ${s.trainSize} --model ${REPRODUCTION.model} --batch ${REPRODUCTION.batch} --lr ${REPRODUCTION.lr} --epochs ${s.epochs} --eval-every ${s.evalEvery} --threads ${b.threads}\` (plain, and with --lambda 2^-2)`,
    '',
    table(['trial', 'sgdlab train (s)', 'train() as the CLI reports (s)', 'in process (s)', 'start-up + epoch 1 (s)', 'later epoch (s)', 'updates alone (s)', 'evaluations (s)', 'evaluation share', `reproduction: trial (min)`, 'reproduction: evaluation share', 'other load'],
      b.trials.map((t) => [t.label, t.cliSeconds.toFixed(1), t.cliTrainSeconds.toFixed(1), t.inProcessSeconds.toFixed(1), t.firstEpochSeconds.toFixed(2), t.epochSeconds.toFixed(2), t.updateSeconds.toFixed(1),
        t.evaluationSeconds.map((x) => x.toFixed(2)).join(', '), pct(t.evaluationShare),
        t.reproductionTrialSeconds === null ? '—' : (t.reproductionTrialSeconds / 60).toFixed(1), pct(t.reproductionEvaluationShare), t.foreignLoad.toFixed(2)])),
    '',
    `- **sgdlab train**: the command as a child process, spawn to exit (Node start-up, module loading, data load with its SHA-256 check, compiles, ${s.epochs} epochs, ${Math.ceil(s.epochs / s.evalEvery)} evaluations, the store and a checkpoint at each evaluation), median of ${s.rounds} round(s). **train() as the CLI reports**: its JSON \`wallSeconds\` (from just before train() to its end).`,
    '- **in process**: the same trial through train() in the bench process, with a store and checkpoints like the CLI\'s; the columns right of it split this one (the round of median time) by train()\'s own reports: **start-up + epoch 1** = start → the first progress report (data load, compiles, the first epoch: an epoch is one ONNX Runtime call at this size); **later epoch** = median time between the reports that bound an epoch after the first (the updates, batch assembly, a checkpoint when one was written); **updates alone** = steps ÷ train()\'s steps per second (ONNX Runtime calls only); **evaluations** = each evaluation\'s last progress report → its evaluation report (metrics.evaluate: loss and accuracy on the training and test sets, C_reg, ||∇C||², Γ over the training set; the first also compiles the evaluation programs). **evaluation share** = their sum ÷ in-process time.',
    `- **reproduction**: the reproduction's trial (sweeps/fashion-mnist/fig6a.yaml: ${REPRODUCTION.epochs} epochs, evaluation every ${REPRODUCTION.evalEvery}) assembled from these parts: start-up + epoch 1, ${REPRODUCTION.epochs - 1} later epochs, the first evaluation and ${Math.ceil(REPRODUCTION.epochs / REPRODUCTION.evalEvery) - 1} later ones (median); only when the training set is the reproduction's ${REPRODUCTION.trainSize} images.`,
    '',
    `## Sweep throughput: \`sgdlab sweep run SPEC --workers W\`, ${s.sweepSeeds * 2} trials (λ ∈ {0, 2^-2} × ${s.sweepSeeds} seed(s); ${s.sweepEpochs} epoch(s) each, evaluation every ${Math.min(s.evalEvery, s.sweepEpochs)}; \`threads\` in the spec's base)`,
    '',
    table(['threads × workers', 'trials', 'seconds per round', 'trials per hour', 'other load'],
      b.sweeps.map((w) => [`${w.threads} × ${w.workers}`, w.trials, w.seconds.map((x) => x.toFixed(1)).join(', '), w.trialsPerHour.toFixed(0), w.foreignLoad.toFixed(2)])),
    '',
    `Each round a fresh store; rounds alternate the two layouts. Trials per hour = trials × 3600 ÷ the median round (the command, spawn to exit: worker start-up included, so short trials understate what long ones reach).`,
    '',
    '## Target of issue 18',
    '',
    table(['target', 'measured', 'status'], [[
      "the evaluation pass ≤ 30% of a trial's time at the reproduction's settings",
      b.trials.map((t) => `${t.label}: ${pct(t.reproductionEvaluationShare)} (this run's ${s.epochs}-epoch trial: ${pct(t.evaluationShare)})`).join('; '),
      met === null ? 'not measured' : met ? '**met**' : '**missed**',
    ]]),
    '',
  ].join('\n');
}
