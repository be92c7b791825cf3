// The playground page: controls, up to three runs side by side (one Web Worker each), live curves,
// the modified loss with its live terms, the theory view, exports, URL state, and `window.sgdlab`.

import { SAMPLER_KINDS } from '../data/samplers.ts';
import { drawChart, type Series } from './charts.ts';
import { $, COLORS, control, message, type FieldKind } from './dom.ts';
import { digitsFromGzip, parseCsvData, planeData, CsvError, type PlaygroundData } from './datasets.ts';
import type { Evaluation, RunStatus } from './engine.ts';
import { parametersFile, runRecord } from './export.ts';
import { modifiedLoss } from './formula.ts';
import { setUpTheoryView } from './theory-view.ts';
import type { FromWorker, ParameterTensor, ToWorker } from './protocol.ts';
import {
  DATA_KINDS, GRID, LABELS, RUN_COUNT, RUN_FIELDS, RUN_LETTERS, RUNTIMES, SHARED_FIELDS, SettingsError,
  describeRun, formatSetting, settingsFromQuery, settingsToQuery, type RunSettings, type SharedSettings,
} from './settings.ts';

const CLASS_TINTS = ['#cfe3f3', '#f6d9c4', '#cdebdc', '#eadcf0', '#f3efc4', '#dcdcdc'];
const CLASS_DOTS = ['#0b4f80', '#a64400', '#00704f', '#6a3d8f', '#8a7c00', '#444444'];

interface RunView {
  index: number;
  worker?: Worker;
  status: RunStatus;
  history: Evaluation[];
  /** [step, batch cost] of every step so far. */
  losses: [number, number][];
  grid?: Uint8Array;
  createdAt: string;
  /** Settings the worker was started with (the controls may have moved since). */
  started?: { shared: SharedSettings; run: RunSettings; data: string; m: number };
  parameterRequests: ((t: { tensors: ParameterTensor[]; step: number }) => void)[];
}

const { settings, errors: urlErrors } = settingsFromQuery(location.search);
const dataCache = new Map<string, PlaygroundData>();
let csvData: PlaygroundData | undefined;
let runtimeLine = '';
let dirty = false;
const views: RunView[] = Array.from({ length: RUN_COUNT }, (_, index) => freshView(index));

function freshView(index: number): RunView {
  return { index, status: { state: 'idle', steps: 0, epoch: 0, totalSteps: 0, losses: [], stepsPerSecond: 0 }, history: [], losses: [], createdAt: new Date().toISOString(), parameterRequests: [] };
}

// ---------------------------------------------------------------- controls

/** Rates show as powers of two where they are ("2^-8"); counts as plain integers. */
const shown = (v: unknown, rate = false): string => (typeof v === 'number' && rate ? formatSetting(v) : String(v));

function buildSharedControls(): void {
  const box = $('shared-fields');
  const s = settings.shared;
  const help: Partial<Record<keyof SharedSettings, string>> = {
    width: 'hidden units per layer of the MLP', depth: 'hidden ReLU layers', seed: 'initialisation and batch order (the data sets are fixed)',
    threads: 'onnxruntime-web threads per run (the page must be cross-origin isolated for more than 1)', runtime: 'wasm (CPU) or WebGPU where the browser has it',
  };
  for (const key of Object.keys(SHARED_FIELDS) as (keyof SharedSettings)[]) {
    const id = `shared-${key}`;
    const options = key === 'data' ? DATA_KINDS : key === 'sampler' ? SAMPLER_KINDS : key === 'runtime' ? RUNTIMES : [];
    box.append(control(id, LABELS[key], options.length ? 'select' : 'number', shown(s[key]), options, help[key] ?? ''));
    const input = $<HTMLInputElement>(id);
    if (key === 'runtime' && !('gpu' in navigator)) (input as unknown as HTMLSelectElement).options[1]!.disabled = true;
    input.addEventListener('change', () => updateSetting(input, () => {
      (settings.shared as unknown as Record<string, unknown>)[key] = SHARED_FIELDS[key](input.value, LABELS[key]);
    }));
  }
}

function buildRunCards(): void {
  const box = $('runs');
  views.forEach((_, i) => {
    const letter = RUN_LETTERS[i]!;
    const card = document.createElement('section');
    card.className = 'run';
    card.id = `run-${letter}`;
    card.style.setProperty('--run-color', COLORS[i]!);
    card.setAttribute('aria-labelledby', `run-${letter}-title`);
    card.innerHTML = `<h2 id="run-${letter}-title"><span class="swatch" aria-hidden="true"></span>Run ${letter.toUpperCase()} <small class="rule"></small></h2>
      <fieldset class="run-fields"><legend class="visually-hidden">Settings of run ${letter.toUpperCase()}</legend></fieldset>
      <p class="state" aria-live="polite"></p>
      <dl class="numbers"></dl>
      <div class="formula" aria-live="off"><p class="symbolic"></p><p class="numeric"></p><p class="note"></p></div>
      <canvas class="boundary" width="${GRID * 3}" height="${GRID * 3}" role="img" aria-label="decision boundary of run ${letter.toUpperCase()}" hidden></canvas>
      <div class="exports"><button type="button" class="export-json">Export run ${letter.toUpperCase()} as JSON</button>
      <button type="button" class="export-params">Export parameters (safetensors)</button></div>`;
    box.append(card);
    const fields = card.querySelector('fieldset')!;
    const run = settings.runs[i]!;
    for (const key of Object.keys(RUN_FIELDS) as (keyof RunSettings)[]) {
      const id = `${letter}-${key}`;
      const kind: FieldKind = key === 'enabled' ? 'checkbox' : key === 'regGrad' ? 'select' : key === 'lr' || key === 'lambda' ? 'text' : 'number';
      const label = key === 'enabled' ? `train run ${letter.toUpperCase()}` : LABELS[key];
      fields.append(control(id, label, kind, key === 'enabled' ? run.enabled : shown(run[key], kind === 'text'), key === 'regGrad' ? ['exact', 'fd'] : [],
        key === 'lr' ? 'e.g. 0.01 or 2^-8; with n-step > 1 the bare rate α (ε = nα)' : key === 'lambda' ? 'coefficient of (λ/4)‖∇Ĉ_k‖², 0 for plain SGD' : ''));
      const input = $<HTMLInputElement>(id);
      input.addEventListener('change', () => updateSetting(input, () => {
        const value = key === 'enabled' ? String(input.checked) : input.value;
        (settings.runs[i] as unknown as Record<string, unknown>)[key] = RUN_FIELDS[key](value, `run ${letter.toUpperCase()} ${LABELS[key]}`);
      }));
    }
    // views[i], not `view`: Start and Reset replace the views.
    card.querySelector('.export-json')!.addEventListener('click', () => exportJson(views[i]!));
    card.querySelector('.export-params')!.addEventListener('click', () => { exportParameters(views[i]!).catch((e: unknown) => message(String(e), 'error')); });
  });
}

/** The settings into the address bar (no history entry per change), so the link reproduces them. */
function writeUrl(): void {
  const query = settingsToQuery(settings);
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
}

function updateSetting(input: HTMLInputElement, apply: () => void): void {
  try {
    apply();
    input.removeAttribute('aria-invalid');
    writeUrl();
    const running = views.some((v) => v.worker);
    dirty = running;
    message(running ? 'Settings changed: press Start to run them (the runs shown used the earlier settings).' : '');
    render();
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    input.setAttribute('aria-invalid', 'true');
    message(e.message, 'error');
  }
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
    settings.shared.data = 'csv';
    $<HTMLSelectElement>('shared-data').value = 'csv';
    writeUrl();
    dirty = views.some((v) => v.worker);
    $('csv-name').textContent = csvData.name;
    message(`Loaded ${csvData.name}. Press Start to train on it.`);
    render();
  } catch (e) {
    message(e instanceof Error ? e.message.split('\n')[0]! : String(e), 'error');
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
  for (const v of views) v.worker?.terminate();
  views.forEach((_, i) => (views[i] = freshView(i)));
}

async function start(): Promise<void> {
  if (!dirty && views.some((v) => v.worker && v.status.state === 'stopped')) {
    for (const v of views) if (v.worker && v.status.state === 'stopped') post(v, { type: 'resume' });
    message('');
    return;
  }
  stopWorkers();
  dirty = false;
  let data: PlaygroundData;
  try {
    data = await loadData(settings.shared.data);
  } catch (e) {
    message(e instanceof Error ? e.message.split('\n')[0]! : String(e), 'error');
    return;
  }
  message('');
  const shared = { ...settings.shared };
  settings.runs.forEach((run, i) => {
    if (!run.enabled) return;
    const view = views[i]!;
    const B = Math.min(run.batch, data.train.n);
    const m = shared.sampler === 'full' ? 1 : Math.floor(data.train.n / B);
    view.started = { shared, run: { ...run }, data: data.kind, m };
    view.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `run ${RUN_LETTERS[i]}` });
    view.worker.onmessage = (e: MessageEvent<FromWorker>) => receive(view, e.data);
    view.worker.onerror = (e) => {
      view.status = { ...view.status, state: 'failed', error: e.message };
      render();
    };
    view.status = { ...view.status, state: 'compiling' };
    post(view, {
      type: 'start', shared, run: { ...run }, runtime: shared.runtime, threads: shared.threads,
      data: { train: data.train, ...(data.test ? { test: data.test } : {}), ...(data.plane ? { plane: data.plane } : {}) },
      wasmBase: new URL('ort/', location.href).href,
    });
  });
  render();
}

function stop(): void {
  for (const v of views) if (v.worker && (v.status.state === 'running' || v.status.state === 'compiling')) post(v, { type: 'pause' });
}

function reset(): void {
  stopWorkers();
  dirty = false;
  message('');
  render();
}

const post = (view: RunView, m: ToWorker) => view.worker?.postMessage(m);

function receive(view: RunView, m: FromWorker): void {
  switch (m.type) {
    case 'status': {
      const first = view.status.steps;
      m.status.losses.forEach((loss, j) => view.losses.push([first + j + 1, loss]));
      view.status = m.status;
      if (m.status.state === 'failed') message(`run ${'ABC'[view.index]}: ${m.status.error}`, 'error');
      break;
    }
    case 'evaluation':
      view.history.push(m.evaluation);
      break;
    case 'grid':
      view.grid = m.grid;
      break;
    case 'parameters':
      view.parameterRequests.shift()?.({ tensors: m.tensors, step: m.step });
      break;
    case 'runtime':
      runtimeLine = `onnxruntime-web ${settings.shared.runtime}, ${m.threads} thread${m.threads > 1 ? 's' : ''} per run; cross-origin isolated: ${m.crossOriginIsolated ? 'yes' : 'no (threads need COOP/COEP headers)'}`;
      break;
    case 'error':
      message(m.message, 'error');
      break;
    default:
      break;
  }
  scheduleRender();
}

// ---------------------------------------------------------------- exports

function download(name: string, bytes: BlobPart, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function recordOf(view: RunView) {
  const s = view.started!;
  return runRecord({ index: view.index, shared: s.shared, run: s.run, data: s.data, status: view.status, history: view.history, createdAt: view.createdAt });
}

function exportJson(view: RunView): void {
  if (!view.started) return message(`run ${'ABC'[view.index]}: nothing to export yet (press Start)`, 'error');
  download(`playground-run-${RUN_LETTERS[view.index]}.json`, `${JSON.stringify(recordOf(view), (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`, 'application/json');
}

function parametersOf(view: RunView): Promise<{ tensors: ParameterTensor[]; step: number }> {
  return new Promise((resolve) => {
    view.parameterRequests.push(resolve);
    post(view, { type: 'parameters' });
  });
}

async function exportParameters(view: RunView): Promise<void> {
  if (!view.worker || !view.started) return message(`run ${'ABC'[view.index]}: nothing to export yet (press Start)`, 'error');
  const { tensors, step } = await parametersOf(view);
  const s = view.started;
  const bytes = parametersFile(tensors, { model: `mlp:${s.shared.width}x${s.shared.depth}`, step: String(step), source: 'sgdlab playground', data: s.data });
  download(`playground-run-${RUN_LETTERS[view.index]}.safetensors`, bytes as BlobPart, 'application/octet-stream');
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

/** At most `limit` points: means over consecutive groups, so the curve of 1500 batch costs stays readable. */
function thin(points: [number, number][], limit: number): [number, number][] {
  if (points.length <= limit) return points;
  const group = Math.ceil(points.length / limit);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += group) {
    const slice = points.slice(i, i + group);
    out.push([slice[slice.length - 1]![0], slice.reduce((s, p) => s + p[1], 0) / slice.length]);
  }
  return out;
}

function render(): void {
  views.forEach((view, i) => renderRun(view, i));
  renderCharts();
  $('runtime').textContent = runtimeLine;
  const anyActive = views.some((v) => v.status.state === 'running' || v.status.state === 'compiling');
  $<HTMLButtonElement>('stop').disabled = !anyActive;
  // Start resumes stopped runs while their settings stand; after a change it starts afresh.
  $('start').textContent = !dirty && views.some((v) => v.worker && v.status.state === 'stopped') ? 'Resume' : 'Start';
}

function renderRun(view: RunView, i: number): void {
  const card = $(`run-${RUN_LETTERS[i]}`);
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
  const active = views.filter((v) => v.started);
  const epochs = active[0]?.started?.shared.epochs ?? settings.shared.epochs;
  const xDomain: [number, number] = [0, epochs];
  const label = (v: RunView) => `${'ABC'[v.index]} (${describeRun(v.started!.run)})`;
  const metric = (key: string, dashed = false) => (v: RunView): Series => ({
    label: `${label(v)} ${key}`, color: COLORS[v.index]!, dashed,
    points: v.history.filter((h) => h.metrics[key] !== undefined).map((h) => [h.epoch, h.metrics[key]!]),
  });
  const chart = (id: string, spec: Omit<Parameters<typeof drawChart>[1], 'xDomain' | 'xLabel'>) => drawChart($(id) as unknown as SVGSVGElement, { xDomain, xLabel: 'epoch', ...spec });
  chart('chart-accuracy', { title: 'accuracy: train (solid), test (dashed)', yLabel: 'accuracy', yDomain: [0, 1], series: [...active.map(metric('train_acc')), ...active.map(metric('test_acc', true))] });
  chart('chart-loss', { title: 'C: train (solid), test (dashed)', yLabel: 'C', logY: true, series: [...active.map(metric('train_loss')), ...active.map(metric('test_loss', true))] });
  chart('chart-batch', {
    title: 'batch cost Ĉ_k at every step', yLabel: 'Ĉ_k', logY: true,
    series: active.map((v) => ({ label: label(v), color: COLORS[v.index]!, points: thin(v.losses, 300).map(([s, l]) => [s / v.started!.m, l] as [number, number]) })),
  });
  chart('chart-creg', { title: 'C_reg = (1/4m) Σ_k ‖∇Ĉ_k‖²', yLabel: 'C_reg', logY: true, series: active.map(metric('c_reg')) });
  chart('chart-gradnorm', { title: '‖∇C‖²', yLabel: '‖∇C‖²', logY: true, series: active.map(metric('grad_norm_sq')) });
  $('legend').innerHTML = active.map((v) => `<li><span class="swatch" style="background:${COLORS[v.index]}"></span>${label(v)}</li>`).join('');
}

// ---------------------------------------------------------------- page

function showView(name: 'training' | 'theory'): void {
  $('training-view').hidden = name !== 'training';
  $('theory-view').hidden = name !== 'theory';
  $('tab-training').setAttribute('aria-selected', String(name === 'training'));
  $('tab-theory').setAttribute('aria-selected', String(name === 'theory'));
}

function statusForTests() {
  return {
    runs: views.filter((v) => v.started).map((v) => {
      const last = v.history.at(-1)?.metrics ?? {};
      return {
        name: `run ${'ABC'[v.index]}`,
        steps: v.status.steps,
        epoch: v.status.epoch,
        trainAcc: last.train_acc ?? null,
        testAcc: last.test_acc ?? null,
        cReg: last.c_reg ?? null,
        stepsPerSecond: v.status.stepsPerSecond,
        state: v.status.state,
      };
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

function main(): void {
  buildSharedControls();
  buildRunCards();
  setUpTheoryView();
  setUpDrop();
  $('start').addEventListener('click', () => void start());
  $('stop').addEventListener('click', stop);
  $('reset').addEventListener('click', reset);
  $('share').addEventListener('click', () => {
    navigator.clipboard?.writeText(location.href).then(() => message('Link copied: it reproduces these settings.'), () => message(location.href));
  });
  $('tab-training').addEventListener('click', () => showView('training'));
  $('tab-theory').addEventListener('click', () => showView('theory'));
  if (urlErrors.length) message(urlErrors.join(' · '), 'error');
  window.sgdlab = {
    start,
    stop,
    reset,
    status: statusForTests,
    losses: (i) => views[i]!.losses.map(([, l]) => l),
    history: (i) => views[i]!.history,
    record: (i) => (views[i]!.started ? recordOf(views[i]!) : null),
  };
  render();
}

main();
