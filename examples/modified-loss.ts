// The compiler in twenty lines: the modified loss of Sec. 2.3, Ĉ + (λ/4)||∇Ĉ||², and its gradient by
// double backprop, traced, compiled to one ONNX graph, run, and saved. Run: npx tsx examples/modified-loss.ts

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, grad, valueAndGrad, vdot, spec, HostTensor, type Tensor } from '../src/index.ts'; // 'sgdlab' when installed

const lambda = 0.5;
const cost = (w: Tensor, x: Tensor, y: Tensor) => x.matmul(w).logSoftmax(-1).mul(y).sum(-1).mean().neg();
const modified = (w: Tensor, x: Tensor, y: Tensor) => {
  const [c, g] = valueAndGrad((v: Tensor) => cost(v, x, y))(w);
  return c.add(vdot(g, g).mul(lambda / 4));
};

const step = await compile(
  ({ w, x, y }) => ({ loss: modified(w, x, y), grad: grad((v: Tensor) => modified(v, x, y))(w) }),
  { w: spec([64, 10]), x: spec([16, 64]), y: spec([16, 10]) },
);
const x = Float32Array.from({ length: 16 * 64 }, (_, i) => Math.sin(i));
const y = Float32Array.from({ length: 16 * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
const w = Float32Array.from({ length: 64 * 10 }, (_, i) => 0.01 * Math.cos(i));
const out = await step.run({ w: new HostTensor(w, [64, 10]), x: new HostTensor(x, [16, 64]), y: new HostTensor(y, [16, 10]) });
const gradNorm = Math.sqrt((out.grad.data as Float32Array).reduce((s, v) => s + v * v, 0));
const file = join(tmpdir(), 'modified-loss.onnx');
await step.save(file);
console.log(`modified loss ${out.loss.item().toFixed(6)}, ||gradient|| ${gradNorm.toFixed(6)}, graph saved to ${file} (${step.model.length} bytes)`);
