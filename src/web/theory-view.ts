// The theory view: one check of `sgdlab verify` (src/theory) run live in its own worker, in
// float64, drawn as log-log error against ε with the fitted lines and their slopes.

import type { CheckName, CheckResult } from '../theory/checks.ts';
import type { ModelName } from '../theory/models.ts';
import { drawChart, type Series } from './charts.ts';
import { $, COLORS, control, message } from './dom.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { THEORY_CHECKS, THEORY_MODELS } from './settings.ts';

let theoryWorker: Worker | undefined;

export function setUpTheoryView(): void {
  const box = $('theory-fields');
  box.append(control('theory-check', 'check', 'select', 'gd', THEORY_CHECKS));
  box.append(control('theory-model', 'model', 'select', 'logistic', THEORY_MODELS));
  box.append(control('theory-points', 'ε values', 'number', '6', [], 'points on the halving ε grid (4–8)'));
  $('theory-run').addEventListener('click', runTheory);
}

function runTheory(): void {
  const check = $<HTMLSelectElement>('theory-check').value as CheckName;
  const model = $<HTMLSelectElement>('theory-model').value as ModelName;
  const points = Number($<HTMLInputElement>('theory-points').value);
  if (!Number.isInteger(points) || points < 4 || points > 8) return message(`theory: ε values must be an integer in 4..8, got ${$<HTMLInputElement>('theory-points').value}`, 'error');
  theoryWorker?.terminate();
  theoryWorker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'theory' });
  $('theory-verdict').textContent = `running ${check} on the ${model} model in float64…`;
  $<HTMLButtonElement>('theory-run').disabled = true;
  theoryWorker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    $<HTMLButtonElement>('theory-run').disabled = false;
    if (m.type === 'theory') showTheory(m.result, m.seconds);
    else if (m.type === 'error') {
      $('theory-verdict').textContent = '';
      message(`theory: ${m.message}`, 'error');
    }
  };
  theoryWorker.postMessage({ type: 'theory', check, model, epsilonCount: points, wasmBase: new URL('ort/', location.href).href } satisfies ToWorker);
}

function showTheory(r: CheckResult, seconds: number): void {
  const keys = Object.keys(r.slopes ?? {});
  const resolved = r.points.filter((p) => p.resolved === 1);
  const series: Series[] = keys.flatMap((key, j) => {
    const color = COLORS[j % COLORS.length]!;
    const measured: Series = { label: key, color, dots: true, rings: j > 0, points: r.points.map((p) => [p.epsilon!, p[key]!]) };
    // The fitted law error = c·ε^slope, through the resolved points (the ones the slope was fitted on).
    const slope = r.slopes![key]!;
    const logC = resolved.reduce((s, p) => s + Math.log(p[key]!) - slope * Math.log(p.epsilon!), 0) / Math.max(1, resolved.length);
    const eps = r.points.map((p) => p.epsilon!);
    const fitted: Series = { label: `${key} fit`, color, dashed: j > 1, points: [Math.min(...eps), Math.max(...eps)].map((e) => [e, Math.exp(logC) * e ** slope]) };
    return [measured, fitted];
  });
  drawChart($('theory-chart') as unknown as SVGSVGElement, { title: `${r.name} · ${r.model}: error against ε (log-log)`, xLabel: 'ε', yLabel: 'error', logX: true, logY: true, series });
  $('theory-legend').innerHTML = keys.map((k, j) => `<li><span class="swatch${j > 0 ? ' ring' : ''}" style="--run-color:${COLORS[j % COLORS.length]}"></span>${k}: slope ${r.slopes![k]!.toFixed(2)}${r.expected?.[k] !== undefined ? ` (theory ${r.expected[k]})` : ''}</li>`).join('');
  $('theory-verdict').textContent = `${r.pass ? 'PASS' : 'FAIL'} (${seconds.toFixed(1)} s): ${r.verdict}`;
  $('theory-verdict').className = r.pass ? 'pass' : 'fail';
}
