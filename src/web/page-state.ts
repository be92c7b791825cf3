// The playground's state as data, changed only by `update(state, event)`: the settings and the fields
// whose shown value was refused, and each run's status, evaluations and batch costs. No DOM, no workers.

import type { Evaluation, RunStatus } from './engine.ts';
import type { FromWorker } from './protocol.ts';
import {
  LABELS, RUN_COUNT, RUN_FIELDS, RUN_LETTERS, SHARED_FIELDS, SettingsError, settingsFromQuery,
  type PlaygroundSettings, type RunSettings, type SharedSettings,
} from './settings.ts';

/** What a run was started with (the controls may have moved since). */
export interface StartedRun {
  shared: SharedSettings;
  run: RunSettings;
  data: string;
  /** Batches per epoch, m. */
  m: number;
}

export interface RunState {
  status: RunStatus;
  history: Evaluation[];
  /** [step, batch cost Ĉ_k] of every step so far. */
  losses: [number, number][];
  grid?: Uint8Array;
  createdAt: string;
  started?: StartedRun;
}

export interface Notice {
  text: string;
  kind: 'info' | 'error';
}

export interface PageState {
  settings: PlaygroundSettings;
  /** Fields whose shown value was refused, by control id ("a-lr", "shared-epochs") → the one-line reason. */
  invalid: Record<string, string>;
  /** The settings changed while runs were live: Start begins afresh instead of resuming. */
  dirty: boolean;
  runs: RunState[];
  runtimeLine: string;
  notice: Notice;
}

/** A control of the page: a shared setting, or a setting of run `index`. */
export type Field =
  | { scope: 'shared'; key: keyof SharedSettings }
  | { scope: 'run'; index: number; key: keyof RunSettings };

/** The control's id in the page, also its key in `invalid`. */
export const fieldId = (f: Field): string => (f.scope === 'shared' ? `shared-${f.key}` : `${RUN_LETTERS[f.index]}-${f.key}`);

/** The label errors name it by: "epochs", "run A ε (learning rate)". */
export const fieldLabel = (f: Field): string => (f.scope === 'shared' ? LABELS[f.key] : `run ${runName(f.index)} ${LABELS[f.key]}`);

export const runName = (index: number): string => RUN_LETTERS[index]!.toUpperCase();

export type PageEvent =
  /** A control's value as shown: applied when valid, else the field is marked invalid (and Start blocked). */
  | { type: 'edit'; field: Field; value: string }
  /** A CSV file became the data set. */
  | { type: 'csv-loaded'; name: string }
  /** Workers were started for every enabled run on `data` (n training examples). */
  | { type: 'started'; data: { kind: string; n: number }; createdAt: string }
  | { type: 'resumed' }
  | { type: 'reset'; createdAt: string }
  | { type: 'worker'; index: number; message: FromWorker }
  | { type: 'worker-failed'; index: number; error: string }
  | { type: 'notice'; notice: Notice }
  /** Start was pressed: the controls' shown values (see withShownValues). */
  | { type: 'shown-values'; shown: { field: Field; value: string }[] };

const IDLE: RunStatus = { state: 'idle', steps: 0, epoch: 0, totalSteps: 0, losses: [], stepsPerSecond: 0 };

export function freshRun(createdAt: string): RunState {
  return { status: IDLE, history: [], losses: [], createdAt };
}

/** The page as a URL opens it: its settings, and one error line per bad URL parameter. */
export function initialState(query: string, createdAt: string): PageState {
  const { settings, errors } = settingsFromQuery(query);
  return {
    settings,
    invalid: {},
    dirty: false,
    runs: Array.from({ length: RUN_COUNT }, () => freshRun(createdAt)),
    runtimeLine: '',
    notice: { text: errors.join(' · '), kind: errors.length ? 'error' : 'info' },
  };
}

const isLive = (r: RunState): boolean => r.started !== undefined;
const isActive = (r: RunState): boolean => r.status.state === 'running' || r.status.state === 'compiling';

/** What Start does now: refuse (a field is invalid), resume the stopped runs, or start afresh. */
export type StartPlan = { action: 'blocked'; notice: Notice } | { action: 'resume'; runs: number[] } | { action: 'fresh' };

export function startPlan(state: PageState): StartPlan {
  const invalid = Object.values(state.invalid);
  if (invalid.length > 0) {
    return { action: 'blocked', notice: { kind: 'error', text: `Not started: ${invalid.join(' · ')}` } };
  }
  const stopped = state.runs.flatMap((r, i) => (isLive(r) && r.status.state === 'stopped' ? [i] : []));
  if (!state.dirty && stopped.length > 0) return { action: 'resume', runs: stopped };
  return { action: 'fresh' };
}

/** Start's label: "Resume" while stopped runs can go on with the settings they have. */
export const startLabel = (state: PageState): 'Start' | 'Resume' => (startPlan(state).action === 'resume' ? 'Resume' : 'Start');
export const canStop = (state: PageState): boolean => state.runs.some(isActive);
export const canStart = (state: PageState): boolean => Object.keys(state.invalid).length === 0;

function validate(field: Field, value: string): unknown {
  const label = fieldLabel(field);
  return field.scope === 'shared' ? SHARED_FIELDS[field.key](value, label) : RUN_FIELDS[field.key](value, label);
}

function applyEdit(state: PageState, field: Field, value: string): PageState {
  const id = fieldId(field);
  const { [id]: _previous, ...otherInvalid } = state.invalid;
  let parsed: unknown;
  try {
    parsed = validate(field, value);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    return { ...state, invalid: { ...otherInvalid, [id]: e.message }, notice: { text: e.message, kind: 'error' } };
  }
  const settings: PlaygroundSettings = field.scope === 'shared'
    ? { ...state.settings, shared: { ...state.settings.shared, [field.key]: parsed } }
    : { ...state.settings, runs: state.settings.runs.map((r, i) => (i === field.index ? { ...r, [field.key]: parsed } : r)) };
  const running = state.runs.some(isLive);
  const stillInvalid = Object.values(otherInvalid);
  const notice: Notice = stillInvalid.length > 0 ? { text: stillInvalid[0]!, kind: 'error' }
    : running ? { text: 'Settings changed: press Start to run them (the runs shown used the earlier settings).', kind: 'info' }
    : { text: '', kind: 'info' };
  return { ...state, settings, invalid: otherInvalid, dirty: running, notice };
}

function startRuns(state: PageState, data: { kind: string; n: number }, createdAt: string): PageState {
  const shared = { ...state.settings.shared };
  const runs = state.settings.runs.map((run): RunState => {
    if (!run.enabled) return freshRun(createdAt);
    const batch = Math.min(run.batch, data.n);
    const m = shared.sampler === 'full' ? 1 : Math.floor(data.n / batch);
    return { ...freshRun(createdAt), status: { ...IDLE, state: 'compiling' }, started: { shared, run: { ...run }, data: data.kind, m } };
  });
  return { ...state, runs, dirty: false, notice: { text: '', kind: 'info' } };
}

function receive(state: PageState, index: number, m: FromWorker): PageState {
  const run = state.runs[index]!;
  const withRun = (next: RunState, extra: Partial<PageState> = {}): PageState => ({ ...state, ...extra, runs: state.runs.map((r, i) => (i === index ? next : r)) });
  switch (m.type) {
    case 'status': {
      const first = run.status.steps;
      const losses = [...run.losses, ...m.status.losses.map((loss, j): [number, number] => [first + j + 1, loss])];
      const failed = m.status.state === 'failed' ? { notice: { text: `run ${runName(index)}: ${m.status.error}`, kind: 'error' as const } } : {};
      return withRun({ ...run, status: m.status, losses }, failed);
    }
    case 'evaluation':
      return withRun({ ...run, history: [...run.history, m.evaluation] });
    case 'grid':
      return withRun({ ...run, grid: m.grid });
    case 'runtime': {
      const runtime = state.settings.shared.runtime;
      const runtimeLine = `onnxruntime-web ${runtime}, ${m.threads} thread${m.threads > 1 ? 's' : ''} per run; cross-origin isolated: ${m.crossOriginIsolated ? 'yes' : 'no (threads need COOP/COEP headers)'}`;
      return { ...state, runtimeLine };
    }
    case 'error':
      return { ...state, notice: { text: m.message, kind: 'error' } };
    default:
      // 'parameters' answers a request the page holds; 'theory' belongs to the theory view.
      return state;
  }
}

/**
 * The state with the values the controls show, for Start: a field whose shown value is refused, or
 * means another value than the state holds, is edited (a value typed without a change event counts);
 * the others are left alone, so that stopped runs can still resume.
 */
export function withShownValues(state: PageState, shown: readonly { field: Field; value: string }[]): PageState {
  let next = state;
  for (const { field, value } of shown) {
    let parsed: unknown;
    try {
      parsed = validate(field, value);
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      next = applyEdit(next, field, value);
      continue;
    }
    const current = field.scope === 'shared' ? next.settings.shared[field.key] : next.settings.runs[field.index]![field.key];
    if (parsed !== current || next.invalid[fieldId(field)] !== undefined) next = applyEdit(next, field, value);
  }
  return next;
}

export function update(state: PageState, event: PageEvent): PageState {
  switch (event.type) {
    case 'edit':
      return applyEdit(state, event.field, event.value);
    case 'csv-loaded': {
      const { ['shared-data']: _cleared, ...invalid } = state.invalid;
      return {
        ...state,
        settings: { ...state.settings, shared: { ...state.settings.shared, data: 'csv' } },
        invalid,
        dirty: state.runs.some(isLive),
        notice: { text: `Loaded ${event.name}. Press Start to train on it.`, kind: 'info' },
      };
    }
    case 'started':
      return startRuns(state, event.data, event.createdAt);
    case 'resumed':
      return { ...state, notice: { text: '', kind: 'info' } };
    case 'reset':
      return { ...state, runs: state.runs.map(() => freshRun(event.createdAt)), dirty: false, notice: { text: '', kind: 'info' } };
    case 'worker':
      return receive(state, event.index, event.message);
    case 'worker-failed': {
      const run = state.runs[event.index]!;
      return { ...state, runs: state.runs.map((r, i) => (i === event.index ? { ...run, status: { ...run.status, state: 'failed', error: event.error } } : r)) };
    }
    case 'notice':
      return { ...state, notice: event.notice };
    case 'shown-values':
      return withShownValues(state, event.shown);
  }
}
