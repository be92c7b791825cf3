// The order in which a traced program's tensors can be computed: every input before the tensors
// computed from it. Autodiff, lowering, printing and the graph passes all walk programs this way.

import type { Tensor } from './tensor.ts';

/** Every tensor that `outputs` depend on, inputs before the tensors computed from them. */
export function topologicalOrder(outputs: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<number>();
  const stack: [Tensor, number][] = outputs.map((t) => [t, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    if (i === 0 && seen.has(t.id)) {
      stack.pop();
      continue;
    }
    seen.add(t.id);
    const inputs = t.origin.kind === 'op' ? t.origin.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (!seen.has(child.id)) stack.push([child, 0]);
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
