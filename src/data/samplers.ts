// Minibatch samplers: which example indices form each step of an epoch (reshuffle, fixed, reversed pairs, ...).
// An epoch's order depends only on (rng key, epoch), so a run resumed at epoch e sees the same batches.

import type { Rng } from '../util/random.ts';
import { DataError } from './errors.ts';


export interface SamplerOptions {
  /** Number of training examples N. */
  n: number;
  /** Batch size B (ignored by 'full', whose single batch is all N examples). */
  batch: number;
  /** Allow N % B != 0 by using only floor(N/B) batches per epoch. */
  dropLast?: boolean;
  /** The data-order stream; each epoch uses rng.fork(...), never rng itself, so its position does not matter. */
  rng: Rng;
  /** reversed-pairs only: draw a new random partition for every pair of epochs instead of one for the whole run. */
  newPartitionEachPair?: boolean;
}

export interface BatchSampler {
  readonly n: number;
  readonly batch: number;
  /** m = N / B (rounded down with dropLast). */
  readonly stepsPerEpoch: number;
  /**
   * The example indices of all steps of epoch e, batch after batch (stepsPerEpoch * batch values).
   * The buffer is reused: it is valid until the next call to epochOrder or epoch.
   */
  epochOrder(epoch: number): Int32Array;
  /** The batches of epoch e, in step order: views into the epochOrder buffer (same lifetime). */
  epoch(epoch: number): IterableIterator<Int32Array>;
}

/** m batches of B from N examples, or the one-line error that --drop-last would avoid. */
export function stepsPerEpoch(n: number, batch: number, dropLast = false): number {
  if (!Number.isInteger(n) || n < 1) throw new DataError(`sampler: the training set size must be a positive integer, got ${n}`);
  if (!Number.isInteger(batch) || batch < 1) throw new DataError(`sampler: batch size must be a positive integer, got ${batch}`);
  if (batch > n) throw new DataError(`batch ${batch} is larger than the ${n} training examples`);
  const remainder = n % batch;
  if (remainder !== 0 && !dropLast) {
    throw new DataError(`batch ${batch} does not divide the ${n} training examples; pass --drop-last to drop the remaining ${remainder}`);
  }
  return (n - remainder) / batch;
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`sampler: epoch must be a non-negative integer, got ${epoch}`);
}

/** Shared buffer management: subclasses only write one epoch's order. */
abstract class BufferedSampler implements BatchSampler {
  readonly stepsPerEpoch: number;
  protected readonly order: Int32Array;
  private readonly views: Int32Array[];

  constructor(readonly n: number, readonly batch: number, dropLast: boolean) {
    this.stepsPerEpoch = stepsPerEpoch(n, batch, dropLast);
    this.order = new Int32Array(this.stepsPerEpoch * batch);
    this.views = Array.from({ length: this.stepsPerEpoch }, (_, k) => this.order.subarray(k * batch, (k + 1) * batch));
  }

  protected abstract fill(epoch: number): void;

  epochOrder(epoch: number): Int32Array {
    checkEpoch(epoch);
    this.fill(epoch);
    return this.order;
  }

  *epoch(epoch: number): IterableIterator<Int32Array> {
    this.epochOrder(epoch);
    for (const view of this.views) yield view;
  }
}

/** SGD as the paper defines it: a new permutation every epoch, every example exactly once. */
class ReshuffleSampler extends BufferedSampler {
  private readonly permutation: Int32Array;
  constructor(o: SamplerOptions) {
    super(o.n, o.batch, o.dropLast ?? false);
    this.permutation = new Int32Array(o.n);
    this.rng = o.rng;
  }
  private readonly rng: Rng;
  protected fill(epoch: number): void {
    this.rng.fork(epoch).permutation(this.n, this.permutation);
    this.order.set(this.permutation.subarray(0, this.order.length));
  }
}

/** The data set's own order, the same every epoch. */
class FixedSampler extends BufferedSampler {
  constructor(o: SamplerOptions) {
    super(o.n, o.batch, o.dropLast ?? false);
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
  }
  protected fill(): void {}
}

/** Epoch 2k walks a batch partition forward, epoch 2k+1 walks the same batches backward (the paper's reversal trick). */
class ReversedPairsSampler extends BufferedSampler {
  private readonly partition: Int32Array;
  private partitionPair = -1;
  private readonly rng: Rng;
  private readonly newPartitionEachPair: boolean;
  constructor(o: SamplerOptions) {
    super(o.n, o.batch, o.dropLast ?? false);
    this.rng = o.rng;
    this.newPartitionEachPair = o.newPartitionEachPair ?? false;
    this.partition = new Int32Array(o.n);
  }
  protected fill(epoch: number): void {
    const pair = this.newPartitionEachPair ? Math.floor(epoch / 2) : 0;
    if (pair !== this.partitionPair) {
      this.rng.fork(this.newPartitionEachPair ? pair : 'partition').permutation(this.n, this.partition);
      this.partitionPair = pair;
    }
    const m = this.stepsPerEpoch;
    const b = this.batch;
    const backward = epoch % 2 === 1;
    for (let k = 0; k < m; k++) {
      const source = backward ? m - 1 - k : k;
      this.order.set(this.partition.subarray(source * b, (source + 1) * b), k * b);
    }
  }
}

/** SDE-style sampling: every batch is B distinct examples drawn afresh from all N, so examples can repeat within an epoch. */
class WithReplacementSampler extends BufferedSampler {
  private readonly scratch: Int32Array;
  private readonly rng: Rng;
  constructor(o: SamplerOptions) {
    super(o.n, o.batch, o.dropLast ?? false);
    this.rng = o.rng;
    this.scratch = new Int32Array(o.n);
  }
  protected fill(epoch: number): void {
    const rng = this.rng.fork(epoch);
    const n = this.n;
    const scratch = this.scratch;
    // Reset so that the epoch depends only on its own stream, not on earlier epochs.
    for (let i = 0; i < n; i++) scratch[i] = i;
    let out = 0;
    for (let k = 0; k < this.stepsPerEpoch; k++) {
      // A partial Fisher–Yates over any arrangement yields a uniform B-subset.
      for (let i = 0; i < this.batch; i++) {
        const j = i + rng.int(n - i);
        const picked = scratch[j]!;
        scratch[j] = scratch[i]!;
        scratch[i] = picked;
        this.order[out++] = picked;
      }
    }
  }
}

/** Full-batch gradient descent: one step per epoch over all N examples in order. */
class FullBatchSampler extends BufferedSampler {
  constructor(o: SamplerOptions) {
    super(o.n, o.n, false);
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
  }
  protected fill(): void {}
}

interface SamplerEntry {
  /** One line for `sgdlab train --help`. */
  summary: string;
  create(o: SamplerOptions): BatchSampler;
}

/** Every sampler, by name: the CLI's choices and the config validator come from it. */
export const SAMPLERS = {
  reshuffle: { summary: 'a new permutation every epoch, every example once (the paper\'s SGD; default)', create: (o) => new ReshuffleSampler(o) },
  fixed: { summary: 'the data set\'s own order, the same every epoch', create: (o) => new FixedSampler(o) },
  'reversed-pairs': { summary: 'a batch partition walked forward, then backward in the next epoch (the reversal trick)', create: (o) => new ReversedPairsSampler(o) },
  'with-replacement': { summary: 'every batch B distinct examples drawn afresh from all N (SDE-style)', create: (o) => new WithReplacementSampler(o) },
  full: { summary: 'full-batch gradient descent, one step per epoch over all N examples', create: (o) => new FullBatchSampler(o) },
} satisfies Record<string, SamplerEntry>;

export type SamplerKind = keyof typeof SAMPLERS;
export const SAMPLER_KINDS = Object.keys(SAMPLERS) as SamplerKind[];

export function makeSampler(kind: SamplerKind, options: SamplerOptions): BatchSampler {
  if (!Object.hasOwn(SAMPLERS, kind)) throw new DataError(`unknown sampler '${String(kind)}' (expected ${SAMPLER_KINDS.join(', ')})`);
  return SAMPLERS[kind].create(options);
}
