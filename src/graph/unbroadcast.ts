// The one place where a broadcast is undone in reverse mode: sum the cotangent over the axes
// that broadcasting added or stretched, so it has the shape of the operand again.

import type { Tensor } from './tensor.ts';
import { sameShape, type Shape } from './types.ts';

export function unbroadcast(ct: Tensor, shape: Shape): Tensor {
  if (sameShape(ct.shape, shape)) return ct;
  const lead = ct.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < ct.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && ct.shape[i] !== 1)) axes.push(i);
  }
  return ct.sum(axes, true).reshape(shape);
}
