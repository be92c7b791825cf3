// Progress over a whole sweep: counts of trials done, running, failed and an ETA from the trials
// finished so far. Pure bookkeeping and text, so tests reach it without a terminal.

import type { Trial } from './spec.ts';

/** What a sweep runner reports as it goes; the CLI turns these into lines. */
export type SweepEvent =
  | { type: 'planned'; total: number; alreadyDone: number; toRun: number; resumed: number; workers: number }
  | { type: 'trial-started'; trial: Trial; worker?: string }
  | { type: 'trial-progress'; trial: Trial; step: number; totalSteps: number }
  | { type: 'trial-ended'; trial: Trial; status: string; runId?: number; seconds: number; error?: string; value?: number }
  | { type: 'message'; text: string };

export class SweepProgress {
  total = 0;
  alreadyDone = 0;
  done = 0;
  failed = 0;
  diverged = 0;
  workers = 1;
  private readonly running = new Map<string, { started: number; fraction: number }>();
  private seconds = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  apply(event: SweepEvent): void {
    switch (event.type) {
      case 'planned':
        this.total = event.total;
        this.alreadyDone = event.alreadyDone;
        this.workers = Math.max(1, event.workers);
        break;
      case 'trial-started':
        this.running.set(event.trial.key, { started: this.now(), fraction: 0 });
        break;
      case 'trial-progress': {
        const r = this.running.get(event.trial.key);
        if (r) r.fraction = event.totalSteps > 0 ? event.step / event.totalSteps : 0;
        break;
      }
      case 'trial-ended':
        this.running.delete(event.trial.key);
        this.done++;
        this.seconds += event.seconds;
        if (event.status === 'failed') this.failed++;
        if (event.status === 'diverged') this.diverged++;
        break;
      case 'message':
        break;
    }
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Seconds left: trials not yet finished times the mean trial time so far, spread over the workers. */
  etaSeconds(): number {
    if (this.done === 0) return NaN;
    const perTrial = this.seconds / this.done;
    const remaining = this.total - this.alreadyDone - this.done;
    const inFlight = [...this.running.values()].reduce((a, r) => a + r.fraction, 0);
    return Math.max(0, ((remaining - inFlight) * perTrial) / Math.min(this.workers, Math.max(remaining, 1)));
  }

  line(): string {
    const finished = this.alreadyDone + this.done;
    const parts = [`${finished}/${this.total} trials done`, `${this.runningCount} running`, `${this.failed} failed`, `${this.diverged} diverged`];
    if (this.alreadyDone > 0) parts.push(`${this.alreadyDone} from before`);
    parts.push(`ETA ${formatSeconds(this.etaSeconds())}`);
    return parts.join(', ');
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
