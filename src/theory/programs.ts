// The compiled float64 graphs behind every theory check, built ONCE per model and batching: per-batch
// gradients, the modified-flow vector field pieces, weighted gradients, and the two forms of C̃_SGD.

import { compile, concat, constant, grad, spec, vdot, HostTensor, type CompiledFunction, type Tensor } from '../graph/index.ts';
import type { AnalyticModel } from './models.ts';

/** The batching of a check: m fixed, non-overlapping batches of B consecutive examples (Sec. 2.2). */
export interface Batching {
  batchCount: number;
  batchSize: number;
}

/** ∇C, ∇||∇C||² and ∇Σ_k||∇Ĉ_k||² at one point: any modified loss of the paper is a mix of them. */
export interface FlowFieldParts {
  gradient: Float64Array;
  sharpnessGradient: Float64Array;
  batchNormGradient: Float64Array;
}

export type FlowKind = 'plain' | 'gd' | 'sgd';

/** ∇C and ∇N at one point, N = Σ_j √((∂_jC)² + ε̂) the perturbed one-norm of Adam's modified flow (docs/theory.md §A2). */
export interface OneNormParts {
  gradient: Float64Array;
  /** ∇N = H·P∇C with P = diag(1/√(g² + ε̂)). */
  oneNormGradient: Float64Array;
}

export class ModelPrograms {
  private constructor(
    readonly model: AnalyticModel,
    readonly batching: Batching,
    private readonly batchGradientsProgram: CompiledFunction,
    private readonly flowFieldProgram: CompiledFunction,
    private readonly weightedGradientProgram: CompiledFunction,
    private readonly modifiedLossFormsProgram: CompiledFunction,
    /** −∇C̃ for each kind of modified loss alone: the flows call these thousands of times. */
    private readonly fieldPrograms: Record<FlowKind, CompiledFunction>,
  ) {}

  /** Compiled on first use: only the Adam/RMSProp checks need it. */
  private oneNormProgram?: Promise<CompiledFunction>;

  /** Compile the four graphs of `model` with m batches of size B (N = mB examples). */
  static async build(model: AnalyticModel, batching: Batching): Promise<ModelPrograms> {
    const { batchCount: m, batchSize: b } = batching;
    const n = model.exampleCount;
    if (m * b !== n) throw new Error(`ModelPrograms: ${m} batches of ${b} do not make the ${n} examples`);
    const p = model.parameterCount;
    const fullCost = (w: Tensor) => model.perExampleCosts(w, 0, n).mean();
    const batchCost = (k: number) => (w: Tensor) => model.perExampleCosts(w, k * b, (k + 1) * b).mean();
    const batchGradients = (w: Tensor) => Array.from({ length: m }, (_, k) => grad(batchCost(k))(w));
    const wSpec = { w: spec([p], 'float64') };
    const options = { threads: 1 } as const;

    const sharpness = (v: Tensor) => {
      const g = grad(fullCost)(v);
      return vdot(g, g);
    };
    const sumOfBatchNorms = (v: Tensor) => batchGradients(v).reduce((s: Tensor, g) => s.add(vdot(g, g)), zero());
    const fieldPrograms = Promise.all([
      compile(({ w }: { w: Tensor }) => ({ field: grad(fullCost)(w).neg() }), wSpec, { ...options, name: 'plainFlowField' }),
      // −∇(C + a||∇C||²) with a = ε/4 for C̃_GD (Eq. 11).
      compile(({ w, weight }: { w: Tensor; weight: Tensor }) => ({ field: grad((v: Tensor) => fullCost(v).add(sharpness(v).mul(weight)))(w).neg() }), { ...wSpec, weight: spec([], 'float64') }, { ...options, name: 'gdFlowField' }),
      // −∇(C + b Σ_k||∇Ĉ_k||²) with b = ε/4m for C̃_SGD (Eq. 20) or ε/4mn for n-step SGD (Eq. 39).
      compile(({ w, weight }: { w: Tensor; weight: Tensor }) => ({ field: grad((v: Tensor) => fullCost(v).add(sumOfBatchNorms(v).mul(weight)))(w).neg() }), { ...wSpec, weight: spec([], 'float64') }, { ...options, name: 'sgdFlowField' }),
    ]);
    const [batchGradientsProgram, flowFieldProgram, weightedGradientProgram, modifiedLossFormsProgram] = await Promise.all([
      compile(({ w }: { w: Tensor }) => ({ grads: concat(batchGradients(w).map((g) => g.expandDims(0)), 0) }), wSpec, { ...options, name: 'batchGradients' }),
      compile(
        ({ w }: { w: Tensor }) => ({
          gradient: grad(fullCost)(w),
          // ∇||∇C||² = 2H∇C (Eq. 9), by differentiating the traced gradient again.
          sharpnessGradient: grad((v: Tensor) => {
            const g = grad(fullCost)(v);
            return vdot(g, g);
          })(w),
          // ∇Σ_k||∇Ĉ_k||² = 2Σ_k H_k∇Ĉ_k, the gradient of the implicit regularizer of Eq. 1 (times 4m).
          batchNormGradient: grad((v: Tensor) => batchGradients(v).reduce((s: Tensor, g) => s.add(vdot(g, g)), zero()))(w),
        }),
        wSpec,
        { ...options, name: 'flowField' },
      ),
      compile(
        ({ w, weights }: { w: Tensor; weights: Tensor }) => ({ gradient: grad((v: Tensor) => model.perExampleCosts(v, 0, n).mul(weights).sum())(w) }),
        { w: spec([p], 'float64'), weights: spec([n], 'float64') },
        { ...options, name: 'weightedGradient' },
      ),
      compile(
        ({ w, epsilon }: { w: Tensor; epsilon: Tensor }) => {
          // Eq. 1: C + (ε/4m) Σ_k ||∇Ĉ_k||².
          const eq1 = (v: Tensor) => batchGradients(v).reduce((s: Tensor, g) => s.add(vdot(g, g).mul(epsilon).div(4 * m)), fullCost(v));
          // Eq. 2: C + (ε/4)||∇C||² + (ε/4m) Σ_k ||∇Ĉ_k − ∇C||².
          const eq2 = (v: Tensor) => {
            const g = grad(fullCost)(v);
            const spread = batchGradients(v).reduce((s: Tensor, gk) => s.add(vdot(gk.sub(g), gk.sub(g))), zero());
            return fullCost(v).add(vdot(g, g).mul(epsilon).div(4)).add(spread.mul(epsilon).div(4 * m));
          };
          return { eq1: eq1(w), eq2: eq2(w), eq1Gradient: grad(eq1)(w), eq2Gradient: grad(eq2)(w) };
        },
        { w: spec([p], 'float64'), epsilon: spec([], 'float64') },
        { ...options, name: 'modifiedLossForms' },
      ),
    ]);
    const [plain, gd, sgd] = await fieldPrograms;
    return new ModelPrograms(model, batching, batchGradientsProgram, flowFieldProgram, weightedGradientProgram, modifiedLossFormsProgram, { plain, gd, sgd });
  }

  /** ∇Ĉ_k(w) for every batch k, as m rows of P. */
  async batchGradients(w: Float64Array): Promise<Float64Array[]> {
    const out = (await this.batchGradientsProgram.run({ w: vector(w) })) as { grads: HostTensor };
    const data = out.grads.data as Float64Array;
    const p = w.length;
    return Array.from({ length: this.batching.batchCount }, (_, k) => data.subarray(k * p, (k + 1) * p));
  }

  async flowField(w: Float64Array): Promise<FlowFieldParts> {
    const out = (await this.flowFieldProgram.run({ w: vector(w) })) as Record<keyof FlowFieldParts, HostTensor>;
    return {
      gradient: out.gradient.data as Float64Array,
      sharpnessGradient: out.sharpnessGradient.data as Float64Array,
      batchNormGradient: out.batchNormGradient.data as Float64Array,
    };
  }

  /**
   * The vector field −∇C̃(w) of one modified loss: 'plain' is C, 'gd' is C + weight·||∇C||², 'sgd'
   * is C + weight·Σ_k||∇Ĉ_k||². Same values as combining flowField's parts, with a smaller graph.
   */
  async flowVectorField(kind: FlowKind, w: Float64Array, weight: number): Promise<Float64Array> {
    const inputs: Record<string, HostTensor> = kind === 'plain' ? { w: vector(w) } : { w: vector(w), weight: new HostTensor(Float64Array.of(weight), []) };
    const out = (await this.fieldPrograms[kind].run(inputs)) as { field: HostTensor };
    return out.field.data as Float64Array;
  }

  /** ∇C(w). */
  async fullGradient(w: Float64Array): Promise<Float64Array> {
    const field = await this.flowVectorField('plain', w, 0);
    return field.map((x) => -x);
  }

  /** ∇C and the gradient of the perturbed one-norm Σ_j √((∂_jC)² + ε̂) (by differentiating the traced gradient again). */
  async oneNormParts(w: Float64Array, epsilon: number): Promise<OneNormParts> {
    this.oneNormProgram ??= (() => {
      const n = this.model.exampleCount;
      const fullCost = (v: Tensor) => this.model.perExampleCosts(v, 0, n).mean();
      return compile(
        ({ w, epsilon }: { w: Tensor; epsilon: Tensor }) => ({
          gradient: grad(fullCost)(w),
          oneNormGradient: grad((v: Tensor) => grad(fullCost)(v).square().add(epsilon).sqrt().sum())(w),
        }),
        { w: spec([this.model.parameterCount], 'float64'), epsilon: spec([], 'float64') },
        { threads: 1, name: 'oneNormParts' },
      );
    })();
    const program = await this.oneNormProgram;
    const out = (await program.run({ w: vector(w), epsilon: new HostTensor(Float64Array.of(epsilon), []) })) as Record<keyof OneNormParts, HostTensor>;
    return { gradient: out.gradient.data as Float64Array, oneNormGradient: out.oneNormGradient.data as Float64Array };
  }

  /** ∇ Σ_i weights_i C_i(w): with weights 1/N the full gradient, 1/B on a subset a batch gradient. */
  async weightedGradient(w: Float64Array, weights: Float64Array): Promise<Float64Array> {
    const out = (await this.weightedGradientProgram.run({ w: vector(w), weights: vector(weights) })) as { gradient: HostTensor };
    return out.gradient.data as Float64Array;
  }

  /** C̃_SGD and its gradient in the forms of Eq. 1 and Eq. 2. */
  async modifiedLossForms(w: Float64Array, epsilon: number) {
    const out = (await this.modifiedLossFormsProgram.run({ w: vector(w), epsilon: new HostTensor(Float64Array.of(epsilon), []) })) as Record<string, HostTensor>;
    return {
      eq1: out.eq1!.item(),
      eq2: out.eq2!.item(),
      eq1Gradient: out.eq1Gradient!.data as Float64Array,
      eq2Gradient: out.eq2Gradient!.data as Float64Array,
    };
  }

  async release(): Promise<void> {
    const programs = [this.batchGradientsProgram, this.flowFieldProgram, this.weightedGradientProgram, this.modifiedLossFormsProgram, ...Object.values(this.fieldPrograms)];
    if (this.oneNormProgram) programs.push(await this.oneNormProgram);
    await Promise.all(programs.map((f) => f.release()));
  }
}

const vector = (data: Float64Array): HostTensor => new HostTensor(data, [data.length]);
const zero = (): Tensor => constant(0, [], 'float64');
