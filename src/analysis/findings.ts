// A page's findings: each claim judged under both score rules, as a markdown table (measure, verdict and false
// rate per rule), as claims.json, and the verdicts that changed since earlier versions of the page said otherwise.

import { claimScope, evaluateClaim, type Claim, type ClaimResult, type EvaluateOptions } from './claims.ts';
import { GROUPINGS, fitCollapse } from './collapse.ts';
import { SCORE_RULES, scorePoints, type Experiment, type ScoreRule } from './experiment.ts';
import { formatMeasure, formatPower, formatRate, RULE_NAMES } from './format.ts';

export interface Finding {
  /** The paper's figure (or the page's experiment) the claim belongs to, e.g. "Fig. 6b". */
  figure: string;
  /** The claim as the page words it, and what the paper says. */
  label: string;
  paper: string;
  claim: Claim;
  experiment: Experiment;
  /** What earlier versions of the page said, for the list of changed verdicts. */
  earlier?: string;
}

export interface JudgedFinding extends Finding {
  results: Record<ScoreRule, ClaimResult>;
  /** Runs in the claim's points. */
  runs: number;
  /** Collapse claims with diverged points: those points, and the exponent the trained points alone give. */
  divergedNote?: string;
}

const RULES = Object.keys(SCORE_RULES) as ScoreRule[];

/** Every rule's verdict on the finding, and for a collapse with diverged points the fit without them (shown, not judged). */
export function judge(f: Finding, options: EvaluateOptions = {}): JudgedFinding {
  const results = Object.fromEntries(RULES.map((rule) => [rule, evaluateClaim(f.claim, f.experiment, rule, options)])) as Record<ScoreRule, ClaimResult>;
  const runs = results.best.points === 0 ? 0 : scopeRuns(f);
  let divergedNote: string | undefined;
  if (f.claim.kind === 'collapse') {
    const { x, by } = f.claim;
    const scope = { ...f.experiment, points: f.experiment.points.filter((p) => Object.entries(f.claim.kind === 'collapse' ? f.claim.where : {}).every(([k, v]) => p.coords[k] === v) && (p.coords[x] ?? 0) > 0) };
    const scores = scorePoints(scope, 'best');
    const diverged = scope.points.filter((_, i) => scores[i]!.diverged);
    if (diverged.length > 0) {
      const trained = { ...scope, points: scope.points.filter((_, i) => !scores[i]!.diverged) };
      const alone = fitCollapse(trained, scorePoints(trained, 'best').map((s) => s.score), x, by);
      const where = diverged.map((p) => `${GROUPINGS[by].symbol} = ${by === 'momentum' ? formatPower(1 - p.coords[by]!) : formatPower(p.coords[by]!)}, ${x === 'lr' ? GROUPINGS[by].lrSymbol : 'λ'} = ${formatPower(p.coords[x]!)} (diverged ${p.runs.filter((r) => r.diverged).length}/${p.runs.length})`).join('; ');
      divergedNote = `diverged, in the fit as failures: ${where}; the trained points alone give c = ${Number.isFinite(alone.exponent) ? alone.exponent.toFixed(2) : '—'}`;
    }
  }
  return { ...f, results, runs, ...(divergedNote ? { divergedNote } : {}) };
}

/** Runs in the claim's own points (its slice of the experiment), not the whole experiment's. */
function scopeRuns(f: Finding): number {
  return claimScope(f.claim, f.experiment).points.reduce((n, p) => n + p.runs.length, 0);
}

/** Which way a verdict falls: the paper's claim supported, contradicted, or neither. */
export function verdictCategory(verdict: string): 'supports' | 'inconclusive' | 'does not match' {
  if (/^inconclusive|^too few|^no fit/.test(verdict)) return 'inconclusive';
  if (/^(matches|similar)|governs$/.test(verdict)) return 'supports';
  return 'does not match';
}

/** Which way a judged result falls: from whether it supports the claim (any kind, trend and difference too), and its words otherwise. */
export function resultCategory(r: Pick<ClaimResult, 'verdict' | 'supports'>): ReturnType<typeof verdictCategory> {
  if (r.supports) return 'supports';
  return verdictCategory(r.verdict) === 'inconclusive' ? 'inconclusive' : 'does not match';
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The findings table: per score rule, what was measured, the verdict and its false rate on shuffled scores. */
export function findingsTable(findings: readonly JudgedFinding[]): string {
  const head = ['figure', 'claim', 'paper', ...RULES.flatMap((r) => [`${RULE_NAMES[r]}: measured`, `verdict (${RULE_NAMES[r]})`, 'false rate']), 'runs'];
  const rows = findings.map((f) => [
    f.figure,
    f.label,
    f.paper,
    ...RULES.flatMap((r) => {
      const res = f.results[r];
      return [formatMeasure(res) + (r === 'best' && f.divergedNote ? `; ${f.divergedNote}` : ''), res.verdict, formatRate(res.falseRate)];
    }),
    String(f.runs),
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** Where the best-during-training verdict falls differently from what earlier versions of the page said. */
export function changedVerdicts(findings: readonly JudgedFinding[]): string[] {
  return findings
    .filter((f) => f.earlier !== undefined && verdictCategory(f.earlier) !== resultCategory(f.results.best))
    .map((f) => `- ${f.figure}, ${f.label}: earlier versions said "${f.earlier}"; the calibrated rule says "${f.results.best.verdict}" (final score: "${f.results.final.verdict}").`);
}

/** One verdict as claims.json carries it. */
export interface ClaimsEntry {
  figure: string;
  claim: string;
  rule: ScoreRule;
  kind: string;
  exponent?: number;
  value?: number;
  interval?: [number, number];
  set?: number[];
  verdict: string;
  supports: boolean;
  falseRate: number;
}

/** claims.json: one entry per verdict (claim × score rule), then a page's verdicts of its own (`extra`). */
export function claimsJson(findings: readonly JudgedFinding[], extra: readonly ClaimsEntry[] = []): string {
  const entries: ClaimsEntry[] = findings.flatMap((f) =>
    RULES.map((r) => {
      const res = f.results[r];
      return {
        figure: f.figure,
        claim: f.label,
        rule: r,
        kind: res.kind,
        ...(res.exponent !== undefined ? { exponent: res.exponent } : {}),
        ...(res.value !== undefined ? { value: res.value } : {}),
        ...(res.interval ? { interval: res.interval } : {}),
        ...(res.set ? { set: res.set } : {}),
        verdict: res.verdict,
        supports: res.supports,
        falseRate: res.falseRate,
      };
    }),
  );
  return `${JSON.stringify([...entries, ...extra], (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : typeof v === 'number' ? Number(v.toPrecision(6)) : v), 2)}\n`;
}
