// The one batch stream of training: each epoch's order from the sampler, gathered into stacked
// buffers of up to K steps {x [k, B, …], y [k, B], lr [k]} (one ONNX Runtime call each), augmented
// per epoch when asked. Depends only on (seed, epoch), so a resumed run sees the same batches.

import { HostTensor, type FloatDType } from '../graph/index.ts';
import { gatherLabels, gatherRows, randomCropFlip, type BatchSampler, type Dataset, type ImageShape } from '../data/index.ts';
import type { Rng } from '../util/random.ts';

type FloatArray = Float32Array | Float64Array;

/** Up to K consecutive steps of one epoch, stacked; the buffers are reused by the next chunk. */
export interface StackedSteps {
  /** The step (since the start of training) of the first row. */
  firstStep: number;
  steps: number;
  x: HostTensor;
  y: HostTensor;
  lr: HostTensor;
}

export interface BatchStreamOptions {
  dtype: FloatDType;
  /** Most steps per chunk (K). */
  stepsPerCall: number;
  /** The learning rate of each step. */
  learningRate: (step: number) => number;
  /** Pad-4 crop + flip with this stream (forked per epoch); image data only. */
  augment?: Rng;
}

export class BatchStream {
  private readonly exampleSize: number;
  private readonly trainX: FloatArray;
  private readonly stackedX: FloatArray;
  private readonly stackedY: Int32Array;
  private readonly stackedLr: FloatArray;
  private readonly augmented?: { buffer: FloatArray; shape: ImageShape; rng: Rng };

  constructor(private readonly data: Dataset, private readonly sampler: BatchSampler, private readonly options: BatchStreamOptions) {
    const { dtype, stepsPerCall: K } = options;
    const B = sampler.batch;
    const floats = (n: number): FloatArray => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
    this.exampleSize = data.shape.reduce((a, b) => a * b, 1);
    this.trainX = dtype === 'float64' ? Float64Array.from(data.x) : data.x;
    this.stackedX = floats(K * B * this.exampleSize);
    this.stackedY = new Int32Array(K * B);
    this.stackedLr = floats(K);
    if (options.augment) {
      if (data.shape.length !== 3) throw new RangeError(`BatchStream: augmentation needs image data [C,H,W], got [${data.shape}]`);
      const [channels, height, width] = data.shape as [number, number, number];
      this.augmented = { buffer: floats(K * B * this.exampleSize), shape: { channels, height, width }, rng: options.augment };
    }
  }

  /** The chunks of `steps` steps of epoch `epoch` (the whole epoch, or fewer when a step budget ends it). */
  *epoch(epoch: number, steps: number): Generator<StackedSteps> {
    const { stepsPerCall: K, learningRate } = this.options;
    const B = this.sampler.batch;
    const m = this.sampler.stepsPerEpoch;
    const order = this.sampler.epochOrder(epoch);
    const augmentRng = this.augmented?.rng.fork(epoch);
    for (let s = 0; s < steps; ) {
      const k = Math.min(K, steps - s);
      const firstStep = epoch * m + s;
      gatherRows(this.trainX, this.exampleSize, order.subarray(s * B, (s + k) * B), this.stackedX);
      gatherLabels(this.data.y, order.subarray(s * B, (s + k) * B), this.stackedY);
      for (let j = 0; j < k; j++) this.stackedLr[j] = learningRate(firstStep + j);
      let xs = this.stackedX;
      if (this.augmented) {
        randomCropFlip(this.stackedX, this.augmented.buffer, k * B, this.augmented.shape, augmentRng!);
        xs = this.augmented.buffer;
      }
      yield {
        firstStep,
        steps: k,
        x: new HostTensor(xs.subarray(0, k * B * this.exampleSize), [k, B, ...this.data.shape]),
        y: new HostTensor(this.stackedY.subarray(0, k * B), [k, B]),
        lr: new HostTensor(this.stackedLr.subarray(0, k), [k]),
      };
      s += k;
    }
  }
}
