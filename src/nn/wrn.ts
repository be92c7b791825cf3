// Wide-ResNet depth-k without batch norm, with SkipInit (De & Smith, 2020): every residual branch is
// multiplied by a scalar gate initialised to 0, as in the paper's CIFAR-10 experiments (Sec. 2.3, 4).

import { conv2d, globalAvgPool, type FloatDType, type Tensor } from '../graph/index.ts';
import type { HostTensor } from '../graph/index.ts';
import type { Rng } from '../util/random.ts';
import { normalTensor, zerosTensor, type Model, type Params } from './model.ts';

interface Block<L> { conv1: L; conv2: L; gate: L; shortcut?: L }
interface WrnParams<L> { stem: L; blocks: Block<L>[]; head: { weight: L; bias: L } }

/**
 * WRN-d-k: a 3×3 stem to 16 channels, three stages of (d−4)/6 pre-activation blocks with widths
 * 16k, 32k, 64k (stride 2 entering stages 2 and 3), ReLU, global average pooling, linear head.
 * Block: y = shortcut(x) + gate · conv2(relu(conv1(relu(x)))), shortcut = 1×1 conv of relu(x) where
 * the shape changes. Parameter names: stem, blocks.{i}.conv1|conv2|gate|shortcut, head.weight|bias.
 */
export function wideResNet(inputShape: readonly number[], numClasses: number, depth: number, k: number): Model {
  if ((depth - 4) % 6 !== 0 || depth < 10) throw new Error(`wrn:${depth}-${k}: depth must be 6n+4 with n ≥ 1`);
  if (inputShape.length !== 3) throw new Error(`wrn:${depth}-${k}: needs image inputs [C, H, W], got [${inputShape}]`);
  const perStage = (depth - 4) / 6;
  const widths = [16 * k, 32 * k, 64 * k];
  const [channels, height, width] = inputShape as [number, number, number];
  const plan: { cin: number; cout: number; stride: number }[] = [];
  let cin = 16;
  widths.forEach((cout, stage) => {
    for (let b = 0; b < perStage; b++) {
      plan.push({ cin, cout, stride: b === 0 && stage > 0 ? 2 : 1 });
      cin = cout;
    }
  });
  const he = (cout: number, cinn: number, kk: number) => Math.sqrt(2 / (cinn * kk * kk));
  return {
    name: `wrn:${depth}-${k}`,
    inputShape,
    numClasses,
    init(rng: Rng, dtype: FloatDType): Params<HostTensor> {
      const conv = (cout: number, c: number, kk: number) => normalTensor(rng, [cout, c, kk, kk], he(cout, c, kk), dtype);
      return {
        stem: conv(16, channels, 3),
        blocks: plan.map(({ cin: ci, cout, stride }) => ({
          conv1: conv(cout, ci, 3),
          conv2: conv(cout, cout, 3),
          gate: zerosTensor([], dtype), // SkipInit
          ...(ci !== cout || stride !== 1 ? { shortcut: conv(cout, ci, 1) } : {}),
        })),
        head: { weight: normalTensor(rng, [widths[2]!, numClasses], Math.sqrt(1 / widths[2]!), dtype), bias: zerosTensor([numClasses], dtype) },
      };
    },
    apply(params: Params<Tensor>, x: Tensor): Tensor {
      const p = params as unknown as WrnParams<Tensor>;
      let h = conv2d(x, p.stem, { padding: 1 });
      p.blocks.forEach((block, i) => {
        const { stride } = plan[i]!;
        const pre = h.relu();
        const branch = conv2d(conv2d(pre, block.conv1, { stride, padding: 1 }).relu(), block.conv2, { padding: 1 });
        const skip = block.shortcut ? conv2d(pre, block.shortcut, { stride }) : h;
        h = skip.add(branch.mul(block.gate));
      });
      return globalAvgPool(h.relu()).matmul(p.head.weight).add(p.head.bias);
    },
    forwardFlopsPerExample: () => {
      let flops = 2 * 16 * channels * 9 * height * width;
      let [hh, ww] = [height, width];
      for (const { cin: ci, cout, stride } of plan) {
        const [ho, wo] = [Math.ceil(hh / stride), Math.ceil(ww / stride)];
        flops += 2 * cout * ci * 9 * ho * wo + 2 * cout * cout * 9 * ho * wo;
        if (ci !== cout || stride !== 1) flops += 2 * cout * ci * ho * wo;
        [hh, ww] = [ho, wo];
      }
      return flops + 2 * widths[2]! * numClasses;
    },
  };
}
