// Pretty-printing of traced programs, one line per node, for debugging and for tests that pin
// down what a transformation produces (e.g. "the gradient of a matmul is made of matmuls").

import { topologicalOrder } from './graph-order.ts';
import type { Tensor } from './tensor.ts';
import { fmtShape } from './types.ts';

export function printProgram(outputs: readonly Tensor[]): string {
  const names = new Map<number, string>();
  const lines: string[] = [];
  for (const t of topologicalOrder(outputs)) {
    const name = `%${names.size}`;
    names.set(t.id, name);
    const type = `${t.dtype}${fmtShape(t.shape)}`;
    const o = t.origin;
    if (o.kind === 'input') lines.push(`${name}: ${type} = input '${o.name}'`);
    else if (o.kind === 'constant') lines.push(`${name}: ${type} = constant${o.data.length === 1 ? ` ${o.data[0]}` : ''}`);
    else {
      const params = Object.keys(o.params as object).length ? ` ${JSON.stringify(o.params)}` : '';
      lines.push(`${name}: ${type} = ${o.prim}${params}(${o.inputs.map((x) => names.get(x.id)).join(', ')})`);
    }
  }
  lines.push(`return ${outputs.map((t) => names.get(t.id)).join(', ')}`);
  return lines.join('\n');
}
