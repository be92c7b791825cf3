// The data sets sgdlab knows, as one name-keyed table: the CLI's help and the config validator come
// from it. A new data set is a loader file, one entry here, and one row in the loader tests.

import { DataError } from './errors.ts';
import { balancedSubset, type DataSplit } from './dataset.ts';
import { loadDigits } from './digits.ts';
import { makeSynthetic, type SyntheticOptions } from './synthetic.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadCifar10 } from './cifar10.ts';
import { locateDataDir } from './locate.ts';
import { Rng } from '../util/random.ts';

export interface LoadDatasetOptions {
  name: DatasetName;
  /** Directory of the files (fashion-mnist, cifar10); default: the first of locateDataDir's places that has them. */
  dir?: string;
  /** digits: training examples (default 1200); synthetic: overrides synthetic.trainSize; fashion-mnist, cifar10: a class-balanced subset (the test set stays whole). */
  trainSize?: number;
  /** digits split seed / synthetic generator seed / seed of the fashion-mnist and cifar10 subsets. */
  seed?: number;
  /** fashion-mnist: check the official files' SHA-256 (default true; off for small test fixtures). */
  verify?: boolean;
  synthetic?: SyntheticOptions;
}

export interface DatasetEntry {
  /** One line for `sgdlab train --help`. */
  summary: string;
  load(options: LoadDatasetOptions): DataSplit;
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** A seeded class-balanced subset of a file data set's training split when trainSize is given. */
function withSubset(split: DataSplit, options: LoadDatasetOptions): DataSplit {
  if (options.trainSize === undefined) return split;
  return { ...split, train: balancedSubset(split.train, options.trainSize, new Rng(options.seed ?? 0).fork(`${options.name}-subset`)) };
}

export const DATASETS = {
  digits: {
    summary: 'the embedded 8×8 digits (1200 train / 597 test by default)',
    load: (o) => loadDigits(defined({ trainSize: o.trainSize, seed: o.seed })),
  },
  synthetic: {
    summary: 'a seeded Gaussian mixture (--train-size, --test-size, --dimension, --classes, --label-noise)',
    load: (o) => makeSynthetic({ ...o.synthetic, ...defined({ trainSize: o.trainSize, seed: o.seed }) }),
  },
  'fashion-mnist': {
    summary: 'the official IDX files (found in $SGDLAB_DATA, ./data or /usr/share/datasets; --train-size for a balanced subset)',
    load: (o) => withSubset(loadFashionMnist(o.dir ?? locateDataDir('fashion-mnist'), defined({ verify: o.verify })), o),
  },
  cifar10: {
    summary: 'the binary batches (sgdlab data fetch cifar10; --train-size for a balanced subset)',
    load: (o) => withSubset(loadCifar10(o.dir ?? locateDataDir('cifar10')), o),
  },
} satisfies Record<string, DatasetEntry>;

export type DatasetName = keyof typeof DATASETS;
export const DATASET_NAMES = Object.keys(DATASETS) as DatasetName[];

/** Raw (unpreprocessed) train/test data of a named data set. */
export function loadDataset(options: LoadDatasetOptions): DataSplit {
  if (!Object.hasOwn(DATASETS, options.name)) throw new DataError(`unknown data set '${String(options.name)}' (expected ${DATASET_NAMES.join(', ')})`);
  return (DATASETS[options.name] as DatasetEntry).load(options);
}
