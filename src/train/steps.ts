// The update rules the paper compares, as traced step functions for compileLoop: plain SGD, SGD on
// the modified loss Ĉ_k + (λ/4)||∇Ĉ_k||² (exact double backprop or finite differences), n-step SGD,
// each applied through an optimizer (src/optim: plain SGD, or with momentum), and compiled into the
// K-step programs that train() and the playground run.

import { compileLoop, grad, valueAndGrad, vdot, flatten, spec, type CompiledFunction, type CompileOptions, type FloatDType, type Tensor, type TensorSpec, type Tree } from '../graph/index.ts';
import { crossEntropy, isDecayed, l2Penalty, type Model } from '../nn/index.ts';
import { applyUpdates, keepsState, optimizerTransform, PLAIN_SGD_CHOICE, type OptimizerChoice, type OptState } from '../optim/index.ts';
import type { Regularizer, TrainConfig } from './config.ts';

type ParamTree = Tree<Tensor>;
export interface Batch { x: Tensor; y: Tensor; lr: Tensor }
export interface StepShared { lambda: Tensor }
export type StepKind = 'plain' | 'modified-exact' | 'modified-fd';

/** The training cost Ĉ on one batch: mean cross-entropy plus the optional L2 penalty. */
export function batchCost(model: Model, weightDecay: number) {
  return (params: ParamTree, x: Tensor, y: Tensor): Tensor => {
    const ce = crossEntropy(model.apply(params, x), y);
    const l2 = l2Penalty(params, weightDecay);
    return l2 ? ce.add(l2) : ce;
  };
}

/**
 * Finite-difference radius: the parameters move by r along ∇Ĉ/||∇Ĉ|| (a step of norm r).
 * Forward differences have error O(r) from curvature and O(eps·||∇Ĉ||/r) from round-off:
 * r = 2^-10 balances them in float32 (eps ≈ 6e-8), r = 2^-20 in float64.
 */
export const FD_RADIUS = { float32: 2 ** -10, float64: 2 ** -20 } as const;

const axpy = (w: ParamTree, a: Tensor, g: ParamTree): ParamTree => {
  const fw = flatten<Tensor>(w);
  const fg = flatten<Tensor>(g).leaves;
  return fw.unflatten(fw.leaves.map((x, i) => x.sub(fg[i]!.mul(a)))) as ParamTree;
};

/** The paper's term, the default. */
export const SQUARED_NORM: Regularizer = { kind: 'sq-norm' };

/** The regularizer's value R(g) at the batch gradient g, and the vector u with ∇R = scale·H·u. */
function regularizerParts(regularizer: Regularizer, g: ParamTree, lambda: Tensor): { value: Tensor; direction: ParamTree; scale: Tensor } {
  if (regularizer.kind === 'sq-norm') return { value: vdot(g, g).mul(lambda).mul(0.25), direction: g, scale: lambda.mul(0.5) };
  const fg = flatten<Tensor>(g);
  const roots = fg.leaves.map((gi) => gi.mul(gi).add(regularizer.epsilon).sqrt());
  const value = roots.map((r) => r.sum()).reduce((a, b) => a.add(b)).mul(lambda);
  return { value, direction: fg.unflatten(fg.leaves.map((gi, i) => gi.div(roots[i]!))) as ParamTree, scale: lambda };
}

/**
 * The direction of one update on a batch, and the batch cost before it, with the regularizer R:
 * - plain: ∇Ĉ
 * - modified-exact: ∇(Ĉ + R(∇Ĉ)) by double backprop (sq-norm: ∇Ĉ + (λ/2)H∇Ĉ, Sec. 2.3)
 * - modified-fd: ∇Ĉ + scale·(∇Ĉ(w + hu) − ∇Ĉ(w))/h with h = r/||u|| (one extra gradient; u = ∇Ĉ for sq-norm)
 * `fdRadius` overrides r (default FD_RADIUS[dtype]); tests use it to check the O(r) error.
 */
export function updateDirection(kind: StepKind, cost: (p: ParamTree) => Tensor, dtype: 'float32' | 'float64', fdRadius: number = FD_RADIUS[dtype], regularizer: Regularizer = SQUARED_NORM) {
  return (params: ParamTree, lambda: Tensor): { direction: ParamTree; loss: Tensor } => {
    if (kind === 'modified-exact') {
      let loss: Tensor | undefined;
      const direction = grad((p: ParamTree) => {
        const [c, g] = valueAndGrad(cost)(p);
        loss = c;
        return c.add(regularizerParts(regularizer, g, lambda).value);
      })(params);
      return { direction, loss: loss! };
    }
    const [loss, g] = valueAndGrad(cost)(params);
    if (kind === 'plain') return { direction: g, loss };
    const { direction: u, scale } = regularizerParts(regularizer, g, lambda);
    const norm = vdot(u, u).sqrt();
    // h = r / ||u||, guarded so that a zero gradient gives a zero correction instead of 0/0.
    const h = norm.maximum(1e-30).pow(-1).mul(fdRadius);
    const shifted = grad(cost)(axpy(params, h.neg(), u));
    const fg = flatten<Tensor>(g);
    const fs = flatten<Tensor>(shifted).leaves;
    const coefficient = scale.div(h);
    const direction = fg.unflatten(fg.leaves.map((gi, i) => gi.add(fs[i]!.sub(gi).mul(coefficient)))) as ParamTree;
    return { direction, loss };
  };
}

/**
 * What the Loop carries: { params, opt }, or the parameters alone when the optimizer keeps no state
 * (plain SGD), so that its programs' inputs are named after the parameters ('carry.layers.0.weight'),
 * as in every model compiled before optimizers had state. A target's deferred carries see leaves and
 * their updates, not this layout.
 */
export function packCarry<L>(params: Tree<L>, opt: OptState<L>, optimizer: OptimizerChoice): Tree<L> {
  return keepsState(optimizer) ? { params, opt } : params;
}

export function unpackCarry<L>(carry: Tree<L>, optimizer: OptimizerChoice): { params: Tree<L>; opt: OptState<L> } {
  return keepsState(optimizer) ? (carry as { params: Tree<L>; opt: OptState<L> }) : { params: carry, opt: {} };
}

/**
 * Decoupled weight decay (torch.optim.AdamW's, for any optimizer): w ← w − ε·c·w on the decayed
 * leaves (weights, not biases: nn/loss.ts's isDecayed), beside the optimizer's update instead of the
 * L2 term (c/2)||w||² in the cost, whose gradient the optimizer would rescale.
 */
function decayDecoupled(params: ParamTree, lr: Tensor, decay: number): ParamTree {
  const flat = flatten<Tensor>(params);
  return flat.unflatten(flat.leaves.map((w, i) => (isDecayed(flat.paths[i]!) ? w.sub(w.mul(lr).mul(decay)) : w))) as ParamTree;
}

export interface StepOptions {
  kind: StepKind;
  nStep: number;
  weightDecay: number;
  dtype: 'float32' | 'float64';
  fdRadius?: number;
  /** Plain SGD (the paper's) unless given. */
  optimizer?: OptimizerChoice;
  /** Weight decay as AdamW applies it (decoupled from the cost) instead of the L2 term; default false. */
  decoupledWeightDecay?: boolean;
  /** The explicit regularizer of the modified kinds; the paper's squared norm unless given. */
  regularizer?: Regularizer;
}

/**
 * One training step on one batch: n updates with the same batch and rate (n-step SGD, Sec. 4;
 * n = 1 is ordinary SGD), each through the optimizer, whose state advances at every update.
 * The carry is packCarry's. Outputs the batch cost at the start of the step, for divergence checks.
 */
export function trainingStep(model: Model, options: StepOptions) {
  const decoupled = options.decoupledWeightDecay === true && options.weightDecay > 0;
  const cost = batchCost(model, decoupled ? 0 : options.weightDecay);
  const settings = options.optimizer ?? PLAIN_SGD_CHOICE;
  return (carry: ParamTree, batch: Batch, shared: StepShared): { carry: ParamTree; out: { loss: Tensor } } => {
    const direction = updateDirection(options.kind, (p) => cost(p, batch.x, batch.y), options.dtype, options.fdRadius ?? FD_RADIUS[options.dtype], options.regularizer ?? SQUARED_NORM);
    const optimizer = optimizerTransform(settings, batch.lr);
    let { params: w, opt } = unpackCarry(carry, settings);
    let first: Tensor | undefined;
    for (let i = 0; i < options.nStep; i++) {
      const { direction: d, loss } = direction(w, shared.lambda);
      first ??= loss;
      const step = optimizer.update(d, opt, w);
      w = applyUpdates(decoupled ? decayDecoupled(w, batch.lr, options.weightDecay) : w, step.updates);
      opt = step.state;
    }
    return { carry: packCarry(w, opt, settings), out: { loss: first! } };
  };
}

/** The update rule of a config (or of the playground's run settings, which share these two keys). */
export function stepKind(config: Pick<TrainConfig, 'lambda' | 'regGrad'>): StepKind {
  if (config.lambda === 0) return 'plain';
  return config.regGrad === 'exact' ? 'modified-exact' : 'modified-fd';
}

/**
 * The K-step program train() runs (the benchmarks and the playground compile through here too): `steps`
 * updates of `kind` per call on stacked batches {x, y, lr}. The Loop may defer carries (on ort-cpu:
 * small-batch weight updates as low-rank factors, since plain small-batch steps are bound by passes over
 * the weights): same arithmetic up to rounding, and the chunking into calls is fixed per epoch, so a
 * resumed run still repeats an uninterrupted one bit for bit. `carry` specifies the Loop's carry (packCarry).
 */
export function compileTrainingSteps(
  model: Model,
  carry: Tree<TensorSpec>,
  o: { kind: StepKind; nStep?: number; weightDecay?: number; decoupledWeightDecay?: boolean; regularizer?: Regularizer; optimizer?: OptimizerChoice; dtype: FloatDType; batch: number; steps: number },
  options: CompileOptions = {},
): Promise<CompiledFunction> {
  const { dtype, batch } = o;
  return compileLoop(
    trainingStep(model, {
      kind: o.kind, nStep: o.nStep ?? 1, weightDecay: o.weightDecay ?? 0, dtype,
      ...(o.optimizer ? { optimizer: o.optimizer } : {}), ...(o.decoupledWeightDecay ? { decoupledWeightDecay: true } : {}),
      ...(o.regularizer ? { regularizer: o.regularizer } : {}),
    }),
    { carry, perStep: { x: spec([batch, ...model.inputShape], dtype), y: spec([batch], 'int32'), lr: spec([], dtype) }, shared: { lambda: spec([], dtype) } },
    o.steps,
    { name: `${o.kind}-step`, deferCarries: true, ...options },
  );
}
