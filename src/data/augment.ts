// CIFAR-style augmentation: random crop of the zero-padded image (pad 4) plus a random horizontal flip.
// Runs every training step, so it writes into a caller-owned buffer and allocates nothing.

import type { Rng } from '../util/random.ts';

export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

/**
 * For each of `count` images of shape [C, H, W] in input, write an augmented copy into output:
 * shift by (dy, dx) drawn uniformly from [-pad, pad] (pixels shifted in from outside the image are 0,
 * i.e. zero padding followed by an HxW crop), then mirror left-right with probability 1/2.
 * Draws exactly 3 numbers from rng per image, so the stream position depends only on the count.
 */
export function randomCropFlip(
  input: Float32Array | Float64Array,
  output: Float32Array | Float64Array,
  count: number,
  shape: ImageShape,
  rng: Rng,
  pad = 4,
): void {
  const { channels, height, width } = shape;
  const plane = height * width;
  const imageSize = channels * plane;
  if (input.length < count * imageSize || output.length < count * imageSize) {
    throw new RangeError(`randomCropFlip: buffers hold ${input.length}/${output.length} values, need ${count * imageSize}`);
  }
  if (input === output) throw new RangeError('randomCropFlip: input and output must be different buffers');
  const span = 2 * pad + 1;
  for (let img = 0; img < count; img++) {
    const dy = rng.int(span) - pad;
    const dx = rng.int(span) - pad;
    const flip = rng.next() >>> 31 === 1;
    const base = img * imageSize;
    for (let c = 0; c < channels; c++) {
      const planeBase = base + c * plane;
      for (let i = 0; i < height; i++) {
        const row = planeBase + i * width;
        const srcRow = i + dy;
        if (srcRow < 0 || srcRow >= height) {
          for (let j = 0; j < width; j++) output[row + j] = 0;
          continue;
        }
        const srcRowBase = planeBase + srcRow * width;
        for (let j = 0; j < width; j++) {
          // out(i, j) = shifted(i, W-1-j) when flipped: crop first, then mirror the crop.
          const srcCol = (flip ? width - 1 - j : j) + dx;
          output[row + j] = srcCol >= 0 && srcCol < width ? input[srcRowBase + srcCol]! : 0;
        }
      }
    }
  }
}
