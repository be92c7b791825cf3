// Analytic models on small seeded synthetic data for the theory checks: linear regression, logistic
// regression and a tanh MLP, each with one flat float64 parameter vector so the host can do ODE maths.

import { constant, type Tensor } from '../graph/index.ts';
import { Rng } from '../util/random.ts';

export const MODEL_NAMES = ['linear', 'logistic', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** A model with its data: per-example costs C_i(w) of a flat parameter vector w. */
export interface AnalyticModel {
  name: ModelName;
  /** Number of parameters P (w has shape [P]). */
  parameterCount: number;
  /** Number of examples N. */
  exampleCount: number;
  /** C_i(w) for the examples in [start, end): a float64 vector of length end − start. */
  perExampleCosts(w: Tensor, start: number, end: number): Tensor;
  /** A seeded starting point away from any minimum, so ∇C and the regularizers are not tiny. */
  initialParameters: Float64Array;
  /**
   * The largest learning rate of the ε grids, in units where the check's total flow time (mε)
   * stays small against the curvature: the O((mε)³) terms must dominate nothing (Sec. 2.2 remarks).
   */
  epsilonScale: number;
}

export interface ModelOptions {
  /** Number of examples N. */
  examples: number;
  seed?: number;
}

const INPUT_DIMENSION = 3;
const HIDDEN_UNITS = 4;

/** Inputs x_i ~ N(0, I), a fixed random "teacher", and targets from it with noise. */
function syntheticData(rng: Rng, examples: number) {
  const x = new Float64Array(examples * INPUT_DIMENSION);
  rng.fillNormal(x);
  const teacher = new Float64Array(INPUT_DIMENSION);
  rng.fillNormal(teacher);
  const scores = new Float64Array(examples);
  for (let i = 0; i < examples; i++) {
    let s = 0;
    for (let j = 0; j < INPUT_DIMENSION; j++) s += x[i * INPUT_DIMENSION + j]! * teacher[j]!;
    scores[i] = s + 0.5 * rng.normal();
  }
  return { x, scores };
}

/** A model whose parameters are w (D weights) and b, scored through `affine`. */
function linearScoreModel(name: ModelName, initRng: Rng, examples: number, epsilonScale: number, perExampleCosts: AnalyticModel['perExampleCosts']): AnalyticModel {
  const parameterCount = INPUT_DIMENSION + 1;
  return { name, parameterCount, exampleCount: examples, initialParameters: initRng.fillNormal(new Float64Array(parameterCount)), epsilonScale, perExampleCosts };
}

/** x_i·w + b for examples start..end-1, with w = params[0..D) and b = params[D]: the linear models' score. */
function affine(params: Tensor, x: Float64Array, start: number, end: number): Tensor {
  const weights = params.slice([[0, INPUT_DIMENSION]]).reshape([INPUT_DIMENSION, 1]);
  const bias = params.slice([[INPUT_DIMENSION, INPUT_DIMENSION + 1]]);
  return rows(x, start, end, INPUT_DIMENSION).matmul(weights).reshape([end - start]).add(bias);
}

function rows(data: Float64Array, start: number, end: number, width: number): Tensor {
  return constant(data.subarray(start * width, end * width), [end - start, width], 'float64');
}

export function createModel(name: ModelName, options: ModelOptions): AnalyticModel {
  const seed = options.seed ?? 0;
  const rng = new Rng(seed).fork(`theory-${name}`);
  const n = options.examples;
  const { x, scores } = syntheticData(rng.fork('data'), n);
  const initRng = rng.fork('init');
  switch (name) {
    case 'linear': {
      // C_i(w) = ½ (x_i·w + b − y_i)²: quadratic, so every derivative beyond the Hessian vanishes.
      return linearScoreModel(name, initRng, n, 0.1, (w, start, end) => {
        const y = constant(scores.subarray(start, end), [end - start], 'float64');
        return affine(w, x, start, end).sub(y).square().mul(0.5);
      });
    }
    case 'logistic': {
      // C_i(w) = log(1 + exp(−y_i (x_i·w + b))), labels y_i = ±1: analytic everywhere.
      const labels = scores.map((s) => (s >= 0 ? 1 : -1));
      return linearScoreModel(name, initRng, n, 0.4, (w, start, end) => {
        const y = constant(labels.subarray(start, end), [end - start], 'float64');
        // log(1 + e^−z) written without relu/abs so that every derivative is the analytic one.
        return affine(w, x, start, end).mul(y).neg().exp().add(1).log();
      });
    }
    case 'mlp': {
      // C_i(w) = ½ (v·tanh(W x_i + c) + d − y_i)², a 3–4–1 network: analytic, non-convex.
      const targets = scores;
      const sizes = { w1: INPUT_DIMENSION * HIDDEN_UNITS, b1: HIDDEN_UNITS, w2: HIDDEN_UNITS, b2: 1 };
      const parameterCount = sizes.w1 + sizes.b1 + sizes.w2 + sizes.b2;
      const init = initRng.fillNormal(new Float64Array(parameterCount));
      for (let i = 0; i < sizes.w1; i++) init[i] = init[i]! / Math.sqrt(INPUT_DIMENSION);
      return {
        name,
        parameterCount,
        exampleCount: n,
        initialParameters: init,
        epsilonScale: 0.015,
        perExampleCosts(w, start, end) {
          let offset = 0;
          const take = (size: number, shape: number[]) => {
            const t = w.slice([[offset, offset + size]]).reshape(shape);
            offset += size;
            return t;
          };
          const w1 = take(sizes.w1, [INPUT_DIMENSION, HIDDEN_UNITS]);
          const b1 = take(sizes.b1, [HIDDEN_UNITS]);
          const w2 = take(sizes.w2, [HIDDEN_UNITS, 1]);
          const b2 = take(sizes.b2, [1]);
          const y = constant(targets.subarray(start, end), [end - start], 'float64');
          const hidden = rows(x, start, end, INPUT_DIMENSION).matmul(w1).add(b1).tanh();
          const residual = hidden.matmul(w2).reshape([end - start]).add(b2).sub(y);
          return residual.square().mul(0.5);
        },
      };
    }
  }
}
