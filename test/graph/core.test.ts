// The compiler without its session (src/graph/core.ts: tracing, autodiff, lowering for any target)
// must load in a browser: no module it reaches imports Node's built-ins or onnxruntime-node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every module `entry` reaches through runtime imports (type-only imports are erased). */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)].map((m) => m[1]!);
    seen.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) stack.push(resolve(dirname(file), s));
  }
  return seen;
}

test('src/graph/core.ts reaches no Node built-in and no onnxruntime-node; index.ts does (its session)', () => {
  const graph = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/graph');
  const external = (entry: string) => [...reachable(resolve(graph, entry))].flatMap(([file, specs]) => specs.filter((s) => !s.startsWith('.')).map((s) => `${file}: ${s}`));
  const nodeOnly = (line: string) => /: (node:|onnxruntime-node$)/.test(line);
  const core = external('core.ts');
  assert.deepEqual(core.filter(nodeOnly), []);
  assert.ok(core.some((l) => l.endsWith(': onnx-proto')), 'the walk reaches the lowering (onnx-proto)');
  assert.ok(external('index.ts').some(nodeOnly), 'the walk finds the session module from index.ts');
});

test('lowerFunction with the reference target: model bytes of plain ONNX, no ONNX Runtime operator sets', async () => {
  const { lowerFunction, spec, grad, conv2d } = await import('../../src/graph/core.ts');
  type P = { x: import('../../src/graph/core.ts').Tensor; w: import('../../src/graph/core.ts').Tensor };
  const program = lowerFunction(
    (inputs: P) => grad((p: P) => conv2d(p.x, p.w, { padding: 1 }).relu().square().mean())(inputs),
    { x: spec([2, 16, 8, 8]), w: spec([32, 16, 3, 3]) },
    { target: 'reference' },
  );
  const bytes = Buffer.from(program.model);
  assert.ok(bytes.length > 0 && bytes.includes('Conv') && bytes.includes('ConvTranspose'));
  assert.equal(bytes.includes('com.microsoft'), false);
  assert.deepEqual(program.inputs.names, ['x', 'w']);
  assert.deepEqual(program.outputs.names, ['x_out', 'w_out']); // output names that inputs took get a suffix
});
