// The costs: softmax cross-entropy (mean over the batch), the number of correct predictions, and
// the optional L2 penalty on weights.

import { oneHot, type Tensor } from '../graph/index.ts';
import { flatten, type Tree } from '../graph/index.ts';

/** Mean over the batch of −log softmax(logits)[label]. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return logits.logSoftmax(-1).mul(oneHot(labels, logits.shape[1]!, logits.dtype)).sum(-1).mean().neg();
}

/** Σ over the batch of [the label's logit is the largest] (ties count as correct; they have measure 0). */
export function correctCount(logits: Tensor, labels: Tensor): Tensor {
  const labelLogit = logits.mul(oneHot(labels, logits.shape[1]!, logits.dtype)).sum(-1);
  return labelLogit.equal(logits.max(-1)).cast(logits.dtype).sum();
}

/** (decay/2) Σ ||W||² over the weight tensors (names ending in "weight", conv kernels, stem, shortcut). */
export function l2Penalty(params: Tree<Tensor>, decay: number): Tensor | null {
  if (decay === 0) return null;
  const flat = flatten<Tensor>(params);
  let total: Tensor | null = null;
  flat.leaves.forEach((w, i) => {
    if (!isDecayed(flat.paths[i]!)) return;
    const sq = w.mul(w).sum();
    total = total ? total.add(sq) : sq;
  });
  return total ? (total as Tensor).mul(decay / 2) : null;
}

/** Biases and SkipInit gates are not decayed. */
export const isDecayed = (path: string): boolean => !/(^|\.)(bias|gate)$/.test(path);
