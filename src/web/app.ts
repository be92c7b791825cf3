// The playground page: controls, up to three runs side by side (one Web Worker each), live curves,
// the modified loss with its live terms, the theory view, exports, URL state, and `window.sgdlab`.

import { SAMPLER_KINDS } from '../data/samplers.ts';
import { drawChart } from './charts.ts';
import { ACCURACY_AXES, chartSpecs, runLabel, type AccuracyAxis } from './curves.ts';
import { $, COLORS, control, message, type FieldKind } from './dom.ts';
import { digitsFromGzip, parseCsvData, planeData, CsvError, type PlaygroundData } from './datasets.ts';
import type { Evaluation } from './engine.ts';
import { parametersFile, runRecord } from './export.ts';
import { modifiedLoss } from './formula.ts';
import { setUpTheoryView } from './theory-view.ts';
import {
  canStart, canStop, fieldId, initialState, runName, startLabel, startPlan, update,
  type Field, type Notice, type PageEvent, type PageState, type RunState,
} from './page-state.ts';
import type { FromWorker, ParameterTensor, ToWorker } from './protocol.ts';
import {
  DATA_KINDS, GRID, LABELS, RUN_COUNT, RUN_FIELDS, RUN_LETTERS, RUNTIMES, SHARED_FIELDS,
  describeRun, formatSetting, settingsToQuery, type RunSettings, type SharedSettings,
} from './settings.ts';

const CLASS_TINTS = ['#cfe3f3', '#f6d9c4', '#cdebdc', '#eadcf0', '#f3efc4', '#dcdcdc'];
const CLASS_DOTS = ['#0b4f80', '#a64400', '#00704f', '#6a3d8f', '#8a7c00', '#444444'];

// Everything the page shows is derived from `state` (src/web/page-state.ts), which only `dispatch`
// changes. What cannot be data lives here beside it: the workers, the pending parameter requests,
// the loaded data sets.
let state: PageState = initialState(location.search, new Date().toISOString());
const workers: (Worker | undefined)[] = Array.from({ length: RUN_COUNT }, () => undefined);
const parameterRequests: ((t: { tensors: ParameterTensor[]; step: number }) => void)[][] = Array.from({ length: RUN_COUNT }, () => []);
const dataCache = new Map<string, PlaygroundData>();
let csvData: PlaygroundData | undefined;
let accuracyAxis: AccuracyAxis = 'zoom';
let shownNotice: Notice | undefined;

function dispatch(event: PageEvent, when: 'now' | 'next-frame' = 'now'): void {
  state = update(state, event);
  if (when === 'now') render();
  else scheduleRender();
}

// ---------------------------------------------------------------- controls

/** Rates show as powers of two where they are ("2^-8"); counts as plain integers. */
const shown = (v: unknown, rate = false): string => (typeof v === 'number' && rate ? formatSetting(v) : String(v));

/** A control's value as the page shows it (a checkbox as "true"/"false"). */
function shownValue(input: HTMLInputElement): string {
  return input.type === 'checkbox' ? String(input.checked) : input.value;
}

/** Every control, so that Start can check what the page shows even if a change event never fired. */
const fields: { field: Field; input: HTMLInputElement }[] = [];

function watch(field: Field, input: HTMLInputElement): void {
  fields.push({ field, input });
  input.addEventListener('change', () => {
    dispatch({ type: 'edit', field, value: shownValue(input) });
    writeUrl();
  });
}

function buildSharedControls(): void {
  const box = $('shared-fields');
  const s = state.settings.shared;
  const help: Partial<Record<keyof SharedSettings, string>> = {
    width: 'hidden units per layer of the MLP', depth: 'hidden ReLU layers', seed: 'initialisation and batch order (the data sets are fixed)',
    threads: 'onnxruntime-web threads per run (the page must be cross-origin isolated for more than 1)', runtime: 'wasm (CPU) or WebGPU where the browser has it',
  };
  for (const key of Object.keys(SHARED_FIELDS) as (keyof SharedSettings)[]) {
    const field: Field = { scope: 'shared', key };
    const id = fieldId(field);
    const options = key === 'data' ? DATA_KINDS : key === 'sampler' ? SAMPLER_KINDS : key === 'runtime' ? RUNTIMES : [];
    box.append(control(id, LABELS[key], options.length ? 'select' : 'number', shown(s[key]), options, help[key] ?? ''));
    const input = $<HTMLInputElement>(id);
    if (key === 'runtime' && !('gpu' in navigator)) (input as unknown as HTMLSelectElement).options[1]!.disabled = true;
    watch(field, input);
  }
}

function buildRunCards(): void {
  const box = $('runs');
  state.runs.forEach((_, i) => {
    const letter = RUN_LETTERS[i]!;
    const name = runName(i);
    const card = document.createElement('section');
    card.className = 'run';
    card.id = `run-${letter}`;
    card.style.setProperty('--run-color', COLORS[i]!);
    card.setAttribute('aria-labelledby', `run-${letter}-title`);
    card.innerHTML = `<h2 id="run-${letter}-title"><span class="swatch" aria-hidden="true"></span>Run ${name} <small class="rule"></small></h2>
      <fieldset class="run-fields"><legend class="visually-hidden">Settings of run ${name}</legend></fieldset>
      <p class="state" aria-live="polite"></p>
      <dl class="numbers"></dl>
      <div class="formula" aria-live="off"><p class="symbolic"></p><p class="numeric"></p><p class="note"></p></div>
      <canvas class="boundary" width="${GRID * 3}" height="${GRID * 3}" role="img" aria-label="decision boundary of run ${name}" hidden></canvas>
      <div class="exports"><button type="button" class="export-json">Export run ${name} as JSON</button>
      <button type="button" class="export-params">Export run ${name} parameters (safetensors)</button></div>`;
    box.append(card);
    const fieldset = card.querySelector('fieldset')!;
    const run = state.settings.runs[i]!;
    for (const key of Object.keys(RUN_FIELDS) as (keyof RunSettings)[]) {
      const field: Field = { scope: 'run', index: i, key };
      const id = fieldId(field);
      const kind: FieldKind = key === 'enabled' ? 'checkbox' : key === 'regGrad' ? 'select' : key === 'lr' || key === 'lambda' ? 'text' : 'number';
      const label = key === 'enabled' ? `train run ${name}` : LABELS[key];
      fieldset.append(control(id, label, kind, key === 'enabled' ? run.enabled : shown(run[key], kind === 'text'), key === 'regGrad' ? ['exact', 'fd'] : [],
        key === 'lr' ? 'e.g. 0.01 or 2^-8; with n-step > 1 the bare rate α (ε = nα)' : key === 'lambda' ? 'coefficient of (λ/4)‖∇Ĉ_k‖², 0 for plain SGD' : ''));
      watch(field, $<HTMLInputElement>(id));
    }
    card.querySelector('.export-json')!.addEventListener('click', () => exportJson(i));
    card.querySelector('.export-params')!.addEventListener('click', () => { exportParameters(i).catch((e: unknown) => message(String(e), 'error')); });
  });
}

/** The settings into the address bar (no history entry per change), so the link reproduces them. */
function writeUrl(): void {
  const query = settingsToQuery(state.settings);
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
}

// ---------------------------------------------------------------- data

async function loadData(kind: SharedSettings['data']): Promise<PlaygroundData> {
  if (kind === 'csv') {
    if (!csvData) throw new CsvError('data csv: drop a CSV file on the page (or choose one) first');
    return csvData;
  }
  let d = dataCache.get(kind);
  if (!d) {
    if (kind === 'digits') {
      const response = await fetch(new URL('assets/digits.csv.gz', location.href));
      if (!response.ok) throw new Error(`assets/digits.csv.gz: HTTP ${response.status}`);
      d = await digitsFromGzip(new Uint8Array(await response.arrayBuffer()));
    } else {
      d = planeData(kind as 'moons');
    }
    dataCache.set(kind, d);
  }
  return d;
}

async function acceptCsv(file: File): Promise<void> {
  try {
    if (file.size > 16 * 2 ** 20) throw new CsvError(`${file.name}: ${(file.size / 2 ** 20).toFixed(1)} MB; the playground takes CSV files up to 16 MB`);
    csvData = parseCsvData(await file.text(), file.name);
    $<HTMLSelectElement>('shared-data').value = 'csv';
    $('csv-name').textContent = csvData.name;
    dispatch({ type: 'csv-loaded', name: csvData.name });
    writeUrl();
  } catch (e) {
    dispatch({ type: 'notice', notice: { text: e instanceof Error ? e.message.split('\n')[0]! : String(e), kind: 'error' } });
  }
}

function setUpDrop(): void {
  const zone = $('drop');
  const input = $<HTMLInputElement>('csv-file');
  input.addEventListener('change', () => { if (input.files?.[0]) void acceptCsv(input.files[0]); });
  for (const type of ['dragenter', 'dragover']) document.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add('over'); });
  document.addEventListener('dragleave', () => zone.classList.remove('over'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void acceptCsv(file);
  });
}

// ---------------------------------------------------------------- runs

function stopWorkers(): void {
  workers.forEach((w, i) => {
    w?.terminate();
    workers[i] = undefined;
    parameterRequests[i] = [];
  });
}

async function start(): Promise<void> {
  // What the page shows is what runs: a value typed but not yet committed (no change event) is checked too.
  state = update(state, { type: 'shown-values', shown: fields.map(({ field, input }) => ({ field, value: shownValue(input) })) });
  writeUrl();
  const plan = startPlan(state);
  if (plan.action === 'blocked') return dispatch({ type: 'notice', notice: plan.notice });
  if (plan.action === 'resume') {
    for (const i of plan.runs) post(i, { type: 'resume' });
    return dispatch({ type: 'resumed' });
  }
  stopWorkers();
  let data: PlaygroundData;
  try {
    data = await loadData(state.settings.shared.data);
  } catch (e) {
    return dispatch({ type: 'notice', notice: { text: e instanceof Error ? e.message.split('\n')[0]! : String(e), kind: 'error' } });
  }
  dispatch({ type: 'started', data: { kind: data.kind, n: data.train.n }, createdAt: new Date().toISOString() });
  state.runs.forEach((run, i) => {
    if (!run.started) return;
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `run ${RUN_LETTERS[i]}` });
    workers[i] = worker;
    // A message from a worker that Start or Reset has since replaced is dropped.
    worker.onmessage = (e: MessageEvent<FromWorker>) => { if (workers[i] === worker) receive(i, e.data); };
    worker.onerror = (e) => { if (workers[i] === worker) dispatch({ type: 'worker-failed', index: i, error: e.message }); };
    const { shared, run: settings } = run.started;
    post(i, {
      type: 'start', shared, run: settings, runtime: shared.runtime, threads: shared.threads,
      data: { train: data.train, ...(data.test ? { test: data.test } : {}), ...(data.plane ? { plane: data.plane } : {}) },
      wasmBase: new URL('ort/', location.href).href,
    });
  });
}

function stop(): void {
  state.runs.forEach((r, i) => { if (r.status.state === 'running' || r.status.state === 'compiling') post(i, { type: 'pause' }); });
}

function reset(): void {
  stopWorkers();
  dispatch({ type: 'reset', createdAt: new Date().toISOString() });
}

const post = (index: number, m: ToWorker) => workers[index]?.postMessage(m);

function receive(index: number, m: FromWorker): void {
  if (m.type === 'parameters') parameterRequests[index]!.shift()?.({ tensors: m.tensors, step: m.step });
  dispatch({ type: 'worker', index, message: m }, 'next-frame');
}

// ---------------------------------------------------------------- exports

function download(name: string, bytes: BlobPart, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function recordOf(index: number) {
  const run = state.runs[index]!;
  const s = run.started!;
  return runRecord({ index, shared: s.shared, run: s.run, data: s.data, status: run.status, history: run.history, createdAt: run.createdAt });
}

function exportJson(index: number): void {
  if (!state.runs[index]!.started) return message(`run ${runName(index)}: nothing to export yet (press Start)`, 'error');
  download(`playground-run-${RUN_LETTERS[index]}.json`, `${JSON.stringify(recordOf(index), (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`, 'application/json');
}

function parametersOf(index: number): Promise<{ tensors: ParameterTensor[]; step: number }> {
  return new Promise((resolve) => {
    parameterRequests[index]!.push(resolve);
    post(index, { type: 'parameters' });
  });
}

async function exportParameters(index: number): Promise<void> {
  const s = state.runs[index]!.started;
  if (!workers[index] || !s) return message(`run ${runName(index)}: nothing to export yet (press Start)`, 'error');
  const { tensors, step } = await parametersOf(index);
  const bytes = parametersFile(tensors, { model: `mlp:${s.shared.width}x${s.shared.depth}`, step: String(step), source: 'sgdlab playground', data: s.data });
  download(`playground-run-${RUN_LETTERS[index]}.safetensors`, bytes as BlobPart, 'application/octet-stream');
}

// ---------------------------------------------------------------- drawing

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2));

function render(): void {
  state.runs.forEach((run, i) => renderRun(run, i));
  renderCharts();
  $('runtime').textContent = state.runtimeLine;
  // Only a new notice replaces the message line (the theory view and the exports write to it too).
  if (state.notice !== shownNotice) message(state.notice.text, state.notice.kind);
  shownNotice = state.notice;
  for (const { field, input } of fields) {
    if (state.invalid[fieldId(field)] !== undefined) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  $<HTMLButtonElement>('stop').disabled = !canStop(state);
  // An invalid field blocks Start (its title says which); Start resumes stopped runs while their settings stand.
  const startButton = $<HTMLButtonElement>('start');
  startButton.textContent = startLabel(state);
  startButton.disabled = !canStart(state);
  startButton.title = canStart(state) ? '' : `fix first: ${Object.values(state.invalid).join(' · ')}`;
}

function renderRun(view: RunState, i: number): void {
  const card = $(`run-${RUN_LETTERS[i]}`);
  const settings = state.settings;
  const run = view.started?.run ?? settings.runs[i]!;
  card.classList.toggle('disabled', !settings.runs[i]!.enabled && !view.started);
  card.querySelector('.rule')!.textContent = describeRun(run);
  const s = view.status;
  const stateText = s.state === 'idle' ? (settings.runs[i]!.enabled ? 'ready' : 'off')
    : s.state === 'diverged' ? `diverged at step ${s.divergedAtStep}`
    : s.state === 'failed' ? `failed: ${s.error}` : s.state;
  card.querySelector('.state')!.textContent = `${stateText}${s.totalSteps ? ` · step ${s.steps} / ${s.totalSteps} · epoch ${s.epoch.toFixed(1)}` : ''}${s.stepsPerSecond ? ` · ${Math.round(s.stepsPerSecond)} steps/s` : ''}`;
  const last = view.history.at(-1)?.metrics ?? {};
  const rows: [string, string][] = [
    ['train acc', pct(last.train_acc)], ['test acc', pct(last.test_acc)], ['C (train)', num(last.train_loss)], ['C (test)', num(last.test_loss)],
    ['C_reg', num(last.c_reg)], ['‖∇C‖²', num(last.grad_norm_sq)], ['Γ', num(last.gamma)], ['‖w‖', num(last.weight_norm)],
  ];
  card.querySelector('.numbers')!.innerHTML = rows.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('');
  const m = view.started?.m ?? NaN;
  const f = modifiedLoss(run, view.started?.shared.sampler ?? settings.shared.sampler, m, { c: last.train_loss, cReg: last.c_reg });
  card.querySelector('.symbolic')!.textContent = f.symbolic;
  card.querySelector('.numeric')!.textContent = view.history.length ? f.numeric : '= (values after the first evaluation)';
  card.querySelector('.note')!.textContent = f.note;
  const canvas = card.querySelector('canvas')!;
  const data = dataCache.get(view.started?.data ?? '') ?? (view.started?.data === 'csv' ? csvData : undefined);
  canvas.hidden = !(data?.plane && view.grid);
  if (data?.plane && view.grid) drawBoundary(canvas, view.grid, data);
}

function drawBoundary(canvas: HTMLCanvasElement, grid: Uint8Array, data: PlaygroundData): void {
  const ctx = canvas.getContext('2d')!;
  const cell = canvas.width / GRID;
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      ctx.fillStyle = CLASS_TINTS[grid[r * GRID + c]! % CLASS_TINTS.length]!;
      ctx.fillRect(c * cell, r * cell, cell + 0.5, cell + 0.5);
    }
  }
  const { min, max } = data.plane!;
  const scale = canvas.width / (max - min);
  const t = data.train;
  for (let i = 0; i < t.n; i++) {
    ctx.fillStyle = CLASS_DOTS[t.y[i]! % CLASS_DOTS.length]!;
    ctx.beginPath();
    ctx.arc((t.x[2 * i]! - min) * scale, (max - t.x[2 * i + 1]!) * scale, 1.8, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function renderCharts(): void {
  const active = state.runs.flatMap((r, index) => (r.started ? [{ run: r as RunState & { started: NonNullable<RunState['started']> }, index }] : []));
  const epochs = active[0]?.run.started.shared.epochs ?? state.settings.shared.epochs;
  const specs = chartSpecs(state, COLORS, accuracyAxis);
  for (const [id, spec] of Object.entries(specs)) drawChart($(id) as unknown as SVGSVGElement, { xDomain: [0, epochs], xLabel: 'epoch', ...spec });
  $('legend').innerHTML = active.map(({ run, index }) => `<li><span class="swatch" style="background:${COLORS[index]}"></span>${runLabel(run, index)}</li>`).join('');
}

// ---------------------------------------------------------------- page

/** The training view, or the theory view (which has its own Run button: Start, Stop and Reset belong to training). */
function showView(name: 'training' | 'theory'): void {
  $('training-view').hidden = name !== 'training';
  $('theory-view').hidden = name !== 'theory';
  $('run-actions').hidden = name !== 'training';
  $('tab-training').setAttribute('aria-selected', String(name === 'training'));
  $('tab-theory').setAttribute('aria-selected', String(name === 'theory'));
}

function statusForTests() {
  return {
    runs: state.runs.flatMap((r, i) => {
      if (!r.started) return [];
      const last = r.history.at(-1)?.metrics ?? {};
      return [{
        name: `run ${runName(i)}`,
        steps: r.status.steps,
        epoch: r.status.epoch,
        trainAcc: last.train_acc ?? null,
        testAcc: last.test_acc ?? null,
        cReg: last.c_reg ?? null,
        stepsPerSecond: r.status.stepsPerSecond,
        state: r.status.state,
      }];
    }),
  };
}

declare global {
  interface Window {
    sgdlab: {
      start(): Promise<void>;
      stop(): void;
      reset(): void;
      status(): ReturnType<typeof statusForTests>;
      /** Per-step batch costs of run `index` (0..2), for comparing against `sgdlab train`. */
      losses(index: number): number[];
      /** Its evaluations so far. */
      history(index: number): Evaluation[];
      /** The run record exported as JSON (schema of `sgdlab runs show --json`). */
      record(index: number): unknown;
    };
  }
}

function setUpAccuracyAxis(): void {
  $('accuracy-axis-field').append(control('accuracy-axis', 'accuracy axis', 'select', accuracyAxis, Object.keys(ACCURACY_AXES), 'zoom: the y range of the later half of training, where the runs differ by a point or two'));
  const select = $<HTMLSelectElement>('accuracy-axis');
  for (const option of select.options) option.textContent = ACCURACY_AXES[option.value as AccuracyAxis];
  select.addEventListener('change', () => {
    accuracyAxis = select.value as AccuracyAxis;
    renderCharts();
  });
}

function main(): void {
  buildSharedControls();
  buildRunCards();
  setUpTheoryView();
  setUpDrop();
  setUpAccuracyAxis();
  $('start').addEventListener('click', () => void start());
  $('stop').addEventListener('click', stop);
  $('reset').addEventListener('click', reset);
  $('share').addEventListener('click', () => {
    navigator.clipboard?.writeText(location.href).then(() => message('Link copied: it reproduces these settings.'), () => message(location.href));
  });
  $('tab-training').addEventListener('click', () => showView('training'));
  $('tab-theory').addEventListener('click', () => showView('theory'));
  window.sgdlab = {
    start,
    stop,
    reset,
    status: statusForTests,
    losses: (i) => state.runs[i]!.losses.map(([, l]) => l),
    history: (i) => state.runs[i]!.history,
    record: (i) => (state.runs[i]!.started ? recordOf(i) : null),
  };
  render();
}

main();
