// Public entry point of src/data: loaders, download, preprocessing, augmentation, samplers, batch gathering.
// loadDataset() is the one call the CLI and the trainer need to turn a data set name into a DataSplit.

import { DataError } from './errors.ts';
import type { DataSplit } from './dataset.ts';
import { loadDigits } from './digits.ts';
import { makeSynthetic, type SyntheticOptions } from './synthetic.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadCifar10 } from './cifar10.ts';

export { DataError } from './errors.ts';
export { checkDataset, classCounts, exampleSize, subset, type Dataset, type DataSplit } from './dataset.ts';
export { loadDigits, loadAllDigits, parseDigitsCsv, DIGITS_ROWS, DIGITS_DEFAULT_TRAIN_SIZE, type DigitsOptions } from './digits.ts';
export { makeSynthetic, corruptLabels, type SyntheticKind, type SyntheticOptions } from './synthetic.ts';
export { loadFashionMnist, loadIdxPair, parseIdxImages, parseIdxLabels, FASHION_MNIST_FILES, type IdxImages } from './fashion-mnist.ts';
export { loadCifar10, decodeCifar10Records, CIFAR10_RECORD_BYTES, CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE } from './cifar10.ts';
export { fetchDataset, downloadVerified, md5OfFile, DATASET_SOURCES, type DownloadableDataset, type FetchDatasetOptions, type FetchDatasetResult, type DownloadProgress } from './download.ts';
export { parseTar, extractTarEntries, type TarEntry } from './tar.ts';
export { preprocess, preprocessSplit, standardizePerImage, scaleToUnit, flatten, PREPROCESS_MODES, type Preprocess } from './pipeline.ts';
export { randomCropFlip, type ImageShape } from './augment.ts';
export { makeSampler, stepsPerEpoch, SAMPLER_KINDS, type BatchSampler, type SamplerKind, type SamplerOptions } from './samplers.ts';
export { gatherRows, gatherLabels, type FloatBuffer } from './gather.ts';

export type DatasetName = 'digits' | 'synthetic' | 'fashion-mnist' | 'cifar10';
export const DATASET_NAMES: readonly DatasetName[] = ['digits', 'synthetic', 'fashion-mnist', 'cifar10'];

export interface LoadDatasetOptions {
  name: DatasetName;
  /** Directory of the files (fashion-mnist, cifar10). */
  dir?: string;
  /** digits: training examples (default 1200); synthetic: overrides synthetic.trainSize. */
  trainSize?: number;
  /** digits split seed / synthetic generator seed. */
  seed?: number;
  synthetic?: SyntheticOptions;
}

/** Raw (unpreprocessed) train/test data of a named data set. */
export function loadDataset(options: LoadDatasetOptions): DataSplit {
  const { name } = options;
  const needDir = (): string => options.dir ?? (() => { throw new DataError(`${name}: no data directory given (download it with fetchDataset / sgdlab fetch)`); })();
  switch (name) {
    case 'digits':
      return loadDigits({ ...(options.trainSize !== undefined ? { trainSize: options.trainSize } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    case 'synthetic':
      return makeSynthetic({ ...options.synthetic, ...(options.trainSize !== undefined ? { trainSize: options.trainSize } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    case 'fashion-mnist':
      return loadFashionMnist(needDir());
    case 'cifar10':
      return loadCifar10(needDir());
    default:
      throw new DataError(`unknown data set '${String(name)}' (expected ${DATASET_NAMES.join(', ')})`);
  }
}
