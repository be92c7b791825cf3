// The quantities the paper's argument is about, measured on the current parameters: C and accuracy
// on train and test, C_reg = (1/4m)Σ_k||∇Ĉ_k||² (Sec. 2.3), ||∇C||², and Γ through Appendix A; for
// adaptive optimizers also the perturbed one-norm N = Σ_j √(g_j² + ε̂) of docs/theory.md §A6.

import { compile, compileLoop, flatten, grad, vdot, spec, HostTensor, type CompiledFunction, type RuntimeOptions, type Tensor, type Tree } from '../graph/index.ts';
import { correctCount, crossEntropy, type Model } from '../nn/index.ts';
import { gatherLabels, gatherRows, type Dataset } from '../data/index.ts';
import type { Rng } from '../util/random.ts';
import type { MetricValues } from '../store/index.ts';

type ParamTree = Tree<Tensor>;
type FloatArray = Float32Array | Float64Array;
type HostParams = Tree<HostTensor>;

const EVAL_CHUNK = 500;

function toDtype(x: Float32Array, dtype: 'float32' | 'float64'): FloatArray {
  return dtype === 'float64' ? Float64Array.from(x) : x;
}

/** Rows [start, start+count) of a dataset as host tensors. */
function rows(x: FloatArray, y: Int32Array, shape: readonly number[], start: number, count: number) {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    x: new HostTensor(x.subarray(start * size, (start + count) * size), [count, ...shape]),
    y: new HostTensor(y.subarray(start, start + count), [count]),
  };
}

interface Split { x: FloatArray; y: Int32Array; n: number }

export interface MetricsOptions extends RuntimeOptions {
  batch: number;
  dtype: 'float32' | 'float64';
  exactGamma: boolean;
  /** Fixes the partition of the training set into the m batches that C_reg and Γ are measured on. */
  rng: Rng;
  /**
   * ε̂ of the perturbed one-norm N = Σ_j √(g_j² + ε̂) (docs/theory.md §A6), measured when given: on ∇C
   * (one_norm) and averaged over the batches' own gradients (one_norm_batch, what --reg one-norm adds).
   */
  oneNormEpsilon?: number;
}

/** Where the programs run: the RuntimeOptions part of the options. */
const runtime = ({ threads, executionProvider, target }: MetricsOptions): RuntimeOptions => ({ threads, executionProvider, target });

export class Metrics {
  private readonly evalPrograms = new Map<number, Promise<CompiledFunction>>();
  private constructor(
    private readonly model: Model,
    private readonly paramSpecs: unknown,
    private readonly train: Split,
    private readonly test: Split | undefined,
    private readonly gradientStats: CompiledFunction,
    private readonly stackedBatches: { x: HostTensor; y: HostTensor },
    private readonly perExample: { program: CompiledFunction; x: HostTensor; y: HostTensor } | undefined,
    private readonly batch: number,
    private readonly options: MetricsOptions,
  ) {}

  static async create(model: Model, cost: (p: ParamTree, x: Tensor, y: Tensor) => Tensor, paramSpecs: unknown, train: Dataset, test: Dataset | undefined, options: MetricsOptions): Promise<Metrics> {
    const { dtype } = options;
    const trainSplit = { x: toDtype(train.x, dtype), y: train.y, n: train.n };
    const testSplit = test ? { x: toDtype(test.x, dtype), y: test.y, n: test.n } : undefined;
    const batch = Math.min(options.batch, train.n);
    const m = Math.floor(train.n / batch);
    const size = train.shape.reduce((a, b) => a * b, 1);
    // A fixed random partition into m batches of B (the remainder, if any, is left out).
    const order = options.rng.permutation(train.n);
    const xs = dtype === 'float64' ? new Float64Array(m * batch * size) : new Float32Array(m * batch * size);
    const ys = new Int32Array(m * batch);
    gatherRows(trainSplit.x, size, order.subarray(0, m * batch), xs);
    gatherLabels(train.y, order.subarray(0, m * batch), ys);
    // withOneNorm: N of each batch's gradient (one_norm_batch); the per-example program has no use for it.
    const statsProgram = (b: number, steps: number, withOneNorm: boolean) => compileLoop(
      (carry: { gsum: ParamTree; sqsum: Tensor; onesum: Tensor }, data: { x: Tensor; y: Tensor }, shared: { params: ParamTree }) => {
        const g = grad((p: ParamTree) => cost(p, data.x, data.y))(shared.params);
        const fs = flatten<Tensor>(carry.gsum);
        const gl = flatten<Tensor>(g).leaves;
        const eps = options.oneNormEpsilon;
        // Σ_j √(ĝ_j² + ε̂) of this batch's gradient; nothing is computed when no ε̂ is given.
        const onesum = eps === undefined || !withOneNorm ? carry.onesum : gl.reduce((acc, leaf) => acc.add(leaf.mul(leaf).add(eps).sqrt().sum()), carry.onesum);
        return { carry: { gsum: fs.unflatten(fs.leaves.map((s, i) => s.add(gl[i]!))) as ParamTree, sqsum: carry.sqsum.add(vdot(g, g)), onesum }, out: {} };
      },
      { carry: { gsum: paramSpecs, sqsum: spec([], dtype), onesum: spec([], dtype) }, perStep: { x: spec([b, ...train.shape], dtype), y: spec([b], 'int32') }, shared: { params: paramSpecs } },
      steps,
      { name: 'gradient-statistics', ...runtime(options) },
    );
    const gradientStats = await statsProgram(batch, m, true);
    let perExample;
    if (options.exactGamma) {
      perExample = {
        program: await statsProgram(1, train.n, false),
        x: new HostTensor(trainSplit.x, [train.n, 1, ...train.shape]),
        y: new HostTensor(train.y, [train.n, 1]),
      };
    }
    return new Metrics(model, paramSpecs, trainSplit, testSplit, gradientStats, {
      x: new HostTensor(xs, [m, batch, ...train.shape]),
      y: new HostTensor(ys, [m, batch]),
    }, perExample, batch, options);
  }

  private evalProgram(count: number): Promise<CompiledFunction> {
    let p = this.evalPrograms.get(count);
    if (!p) {
      const { dtype } = this.options;
      p = compile(
        ({ params, x, y }: { params: ParamTree; x: Tensor; y: Tensor }) => {
          const logits = this.model.apply(params, x);
          return { lossSum: crossEntropy(logits, y).mul(count), correct: correctCount(logits, y) };
        },
        { params: this.paramSpecs, x: spec([count, ...this.model.inputShape], dtype), y: spec([count], 'int32') },
        { name: 'evaluate', ...runtime(this.options) },
      );
      this.evalPrograms.set(count, p);
    }
    return p;
  }

  /** Mean cross-entropy and accuracy over a split, in chunks. */
  private async lossAndAccuracy(params: HostParams, split: Split): Promise<{ loss: number; acc: number }> {
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < split.n; start += EVAL_CHUNK) {
      const count = Math.min(EVAL_CHUNK, split.n - start);
      const r = (await (await this.evalProgram(count)).run({ params, ...rows(split.x, split.y, this.model.inputShape, start, count) })) as { lossSum: HostTensor; correct: HostTensor };
      lossSum += r.lossSum.item();
      correct += r.correct.item();
    }
    return { loss: lossSum / split.n, acc: correct / split.n };
  }

  /** Σ_k ∇Ĉ_k and Σ_k ||∇Ĉ_k||² over the stacked batches, in one Loop call. */
  private async gradientSums(program: CompiledFunction, params: HostParams, x: HostTensor, y: HostTensor, steps: number) {
    const zeros = flatten<HostTensor>(params);
    const gsum = zeros.unflatten(zeros.leaves.map((t) => new HostTensor(new (t.data.constructor as Float32ArrayConstructor)(t.data.length), t.shape)));
    const scalar = () => new HostTensor(this.options.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1), []);
    const r = (await program.run({ carry: { gsum, sqsum: scalar(), onesum: scalar() }, perStep: { x, y }, shared: { params } })) as { carry: { gsum: HostParams; sqsum: HostTensor; onesum: HostTensor } };
    const eps = this.options.oneNormEpsilon ?? 0;
    let meanSq = 0;
    let meanOneNorm = 0;
    for (const t of flatten<HostTensor>(r.carry.gsum).leaves) {
      for (const v of t.data as FloatArray) {
        meanSq += (v / steps) ** 2;
        meanOneNorm += Math.sqrt((v / steps) ** 2 + eps);
      }
    }
    return { sumOfSquares: r.carry.sqsum.item(), meanGradNormSq: meanSq, sumOfOneNorms: r.carry.onesum.item(), meanGradOneNorm: meanOneNorm };
  }

  async evaluate(params: HostParams): Promise<MetricValues> {
    const train = await this.lossAndAccuracy(params, this.train);
    const values: MetricValues = { train_loss: train.loss, train_acc: train.acc };
    if (this.test) {
      const test = await this.lossAndAccuracy(params, this.test);
      values.test_loss = test.loss;
      values.test_acc = test.acc;
    }
    const m = this.stackedBatches.y.shape[0]!;
    const B = this.batch;
    const stats = await this.gradientSums(this.gradientStats, params, this.stackedBatches.x, this.stackedBatches.y, m);
    const usedN = m * B;
    // C_reg = (1/4m) Σ_k ||∇Ĉ_k||² (Sec. 2.3); with equal batches that partition the set, mean_k ∇Ĉ_k = ∇C.
    values.c_reg = stats.sumOfSquares / (4 * m);
    values.grad_norm_sq = stats.meanGradNormSq;
    // Appendix A: E||∇Ĉ − ∇C||² = (N−B)/(N−1) · Γ/B, and mean_k ||∇Ĉ_k − ∇C||² = mean_k ||∇Ĉ_k||² − ||∇C||².
    if (usedN > B) values.gamma = (B * (usedN - 1) / (usedN - B)) * (stats.sumOfSquares / m - stats.meanGradNormSq);
    if (this.options.oneNormEpsilon !== undefined) {
      values.one_norm = stats.meanGradOneNorm; // N at ∇C = mean_k ∇Ĉ_k, the full-batch term of §A6
      values.one_norm_batch = stats.sumOfOneNorms / m; // mean_k N(∇Ĉ_k), the per-batch term of §A8½
    }
    if (this.perExample) {
      const n = this.train.n;
      const exact = await this.gradientSums(this.perExample.program, params, this.perExample.x, this.perExample.y, n);
      values.gamma_exact = exact.sumOfSquares / n - exact.meanGradNormSq; // Γ = (1/N)Σ||∇C_i||² − ||∇C||²
    }
    let norm = 0;
    for (const t of flatten<HostTensor>(params).leaves) for (const v of t.data as FloatArray) norm += v * v;
    values.weight_norm = Math.sqrt(norm);
    return values;
  }
}
