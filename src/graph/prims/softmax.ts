// log-softmax along one axis, a primitive because ONNX Runtime has a fused, stable kernel for it
// in both float dtypes. Its derivative is written with exp/sum so that it differentiates again.

import type { RuleTable } from '../primitives.ts';
import { GraphError, isFloat, normAxis } from '../types.ts';

export type SoftmaxPrimitive = 'logSoftmax';

export const softmaxRules: RuleTable<SoftmaxPrimitive> = {
  logSoftmax: {
    abstractEval: ([x], { axis }) => {
      if (!isFloat(x!.dtype)) throw new GraphError(`logSoftmax: needs a float tensor, got ${x!.dtype}`);
      normAxis(axis, x!.shape.length, 'logSoftmax');
      return x!;
    },
    // y = x - logΣexp(x): dx = g - softmax(x)·Σg
    vjp: (g, _x, { axis }, out) => [g.sub(out.exp().mul(g.sum(axis, true)))],
    lower: (ctx, ins, { axis }) => ctx.node('LogSoftmax', ins, { axis }),
  },
};
