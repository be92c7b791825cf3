// The data sets sgdlab knows, as one name-keyed table: the CLI's help, the config validator and the
// memory preflight come from it. A new data set is a loader file, one entry here, and one row in the loader tests.

import { DataError } from './errors.ts';
import { balancedSubset, type DataShape, type DataSplit } from './dataset.ts';
import { DIGITS_DEFAULT_TRAIN_SIZE, DIGITS_ROWS, loadDigits } from './digits.ts';
import { makeSynthetic, SYNTHETIC_DEFAULTS, type SyntheticOptions } from './synthetic.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadCifar10 } from './cifar10.ts';
import { locateDataDir } from './locate.ts';
import { idxDirectoryShape, loadIdxDirectory } from './idx.ts';
import { loadSafetensorsData, safetensorsDataShape } from './safetensors-file.ts';
import { Rng } from '../util/random.ts';

export interface LoadDatasetOptions {
  /** A data set's name ("digits"), or a source and its argument ("idx:DIR"). */
  name: DataSpec;
  /** Directory of the files (fashion-mnist, cifar10); default: the first of locateDataDir's places that has them. */
  dir?: string;
  /** digits: training examples (default 1200); synthetic: overrides synthetic.trainSize; file data sets: a class-balanced subset (the test set stays whole). */
  trainSize?: number;
  /** digits split seed / synthetic generator seed / seed of the file data sets' subsets. */
  seed?: number;
  /** fashion-mnist: check the official files' SHA-256 (default true; off for small test fixtures). */
  verify?: boolean;
  synthetic?: SyntheticOptions;
}

export interface DatasetEntry {
  /** One line for `sgdlab train --help`. */
  summary: string;
  /**
   * A source named with an argument (`idx:DIR`): the argument's form, for help and errors, and what
   * it names on this machine (outputs must not replace it; queue jobs may not name it). Absent for a named data set.
   */
  argument?: { syntax: string; names: 'directory' | 'file' };
  /** The data; `argument` is the part after "name:" (empty for a named data set). */
  load(options: LoadDatasetOptions, argument: string): DataSplit;
  /** The shape, class count and sizes the data will have after `load`, without loading the examples. */
  shape(options: LoadDatasetOptions, argument: string): DataShape;
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * A seeded class-balanced subset of a file data set's training split when trainSize is given. The
 * seed is forked by the table's name, not the spec, so that moving a user's files keeps the subset.
 */
function withSubset(split: DataSplit, options: LoadDatasetOptions, name: string): DataSplit {
  if (options.trainSize === undefined) return split;
  return { ...split, train: balancedSubset(split.train, options.trainSize, new Rng(options.seed ?? 0).fork(`${name}-subset`)) };
}

/** A file data set's shape after withSubset: the subset bounds the training count (balancedSubset refuses more). */
const subsetShape = (whole: DataShape, options: LoadDatasetOptions): DataShape =>
  options.trainSize === undefined ? whole : { ...whole, train: Math.min(whole.train, options.trainSize) };

export const DATASETS = {
  digits: {
    summary: 'the embedded 8×8 digits (1200 train / 597 test by default)',
    load: (o) => loadDigits(defined({ trainSize: o.trainSize, seed: o.seed })),
    shape(o) {
      const train = o.trainSize ?? DIGITS_DEFAULT_TRAIN_SIZE;
      return { example: [1, 8, 8], classes: 10, train, test: Math.max(0, DIGITS_ROWS - train) };
    },
  },
  synthetic: {
    summary: 'a seeded Gaussian mixture (--train-size, --test-size, --dimension, --classes, --label-noise)',
    load: (o) => makeSynthetic({ ...o.synthetic, ...defined({ trainSize: o.trainSize, seed: o.seed }) }),
    shape(o) {
      const s = { ...SYNTHETIC_DEFAULTS, ...defined({ ...o.synthetic }), ...defined({ trainSize: o.trainSize }) };
      return { example: [s.dimension], classes: s.classes, train: s.trainSize, test: s.testSize };
    },
  },
  'fashion-mnist': {
    summary: 'the official IDX files (found in $SGDLAB_DATA, ./data or /usr/share/datasets; --train-size for a balanced subset)',
    load: (o) => withSubset(loadFashionMnist(o.dir ?? locateDataDir('fashion-mnist'), defined({ verify: o.verify })), o, 'fashion-mnist'),
    // The official sizes: the files' checksums pin them (src/data/integrity.ts).
    shape: (o) => subsetShape({ example: [1, 28, 28], classes: 10, train: 60_000, test: 10_000 }, o),
  },
  cifar10: {
    summary: 'the binary batches (sgdlab data fetch cifar10; --train-size for a balanced subset)',
    load: (o) => withSubset(loadCifar10(o.dir ?? locateDataDir('cifar10')), o, 'cifar10'),
    shape: (o) => subsetShape({ example: [3, 32, 32], classes: 10, train: 50_000, test: 10_000 }, o),
  },
  idx: {
    argument: { syntax: 'DIR', names: 'directory' },
    summary: 'any IDX image/label pair in DIR (train-images-idx3-ubyte, train-labels-idx1-ubyte, optional t10k-…; raw or .gz), without a checksum; classes 0..max label (docs/data.md)',
    load: (o, dir) => withSubset(loadIdxDirectory(dir, `idx:${dir}`), o, 'idx'),
    shape: (o, dir) => subsetShape(idxDirectoryShape(dir, `idx:${dir}`), o),
  },
  file: {
    argument: { syntax: 'PATH.safetensors', names: 'file' },
    summary: 'tensors x_train, y_train (and x_test, y_test) in a safetensors file; examples uint8/float32/float64 [N,D], [N,H,W] or [N,C,H,W], labels uint8/int32/int64 (docs/data.md)',
    load: (o, path) => withSubset(loadSafetensorsData(path, `file:${path}`), o, 'file'),
    shape: (o, path) => subsetShape(safetensorsDataShape(path, `file:${path}`), o),
  },
} satisfies Record<string, DatasetEntry>;

type Entries = typeof DATASETS;
export type DatasetName = keyof Entries;
export const DATASET_NAMES = Object.keys(DATASETS) as DatasetName[];

/** What `--data` accepts: a data set's name, or a source's name, a colon and its argument ("idx:./mnist"). */
export type DataSpec = { [K in DatasetName]: Entries[K] extends { argument: object } ? `${K}:${string}` : K }[DatasetName];

/** Every form `--data` accepts, for help and errors: "digits", …, "idx:DIR". */
export const DATA_SPEC_FORMS: readonly string[] = DATASET_NAMES.map((name) => {
  const argument = (DATASETS[name] as DatasetEntry).argument;
  return argument === undefined ? name : `${name}:${argument.syntax}`;
});

/** `--data`'s help: every form with its summary. */
export const DATA_SPEC_HELP = DATASET_NAMES.map((name, i) => `${DATA_SPEC_FORMS[i]}: ${(DATASETS[name] as DatasetEntry).summary}`).join('; ');

/** The table entry a spec names and its argument, or undefined when the spec names none of the forms. */
function lookUp(spec: string): { entry: DatasetEntry; argument: string } | undefined {
  if (Object.hasOwn(DATASETS, spec)) {
    const entry = DATASETS[spec as DatasetName] as DatasetEntry;
    return entry.argument === undefined ? { entry, argument: '' } : undefined;
  }
  const colon = spec.indexOf(':');
  if (colon < 0) return undefined;
  const name = spec.slice(0, colon);
  const argument = spec.slice(colon + 1);
  if (!Object.hasOwn(DATASETS, name)) return undefined;
  const entry = DATASETS[name as DatasetName] as DatasetEntry;
  return entry.argument !== undefined && argument !== '' ? { entry, argument } : undefined;
}

export function isDataSpec(spec: unknown): spec is DataSpec {
  return typeof spec === 'string' && lookUp(spec) !== undefined;
}

/** The file or directory of this machine a spec names (`idx:DIR`, `file:PATH`), or undefined for a data set's name. */
export function dataSpecPath(spec: DataSpec): { path: string; directory: boolean } | undefined {
  const found = lookUp(spec);
  return found?.entry.argument ? { path: found.argument, directory: found.entry.argument.names === 'directory' } : undefined;
}

function entryOf(spec: DataSpec): { entry: DatasetEntry; argument: string } {
  const found = lookUp(String(spec));
  if (!found) throw new DataError(`unknown data set '${String(spec)}' (expected ${DATA_SPEC_FORMS.join(', ')})`);
  return found;
}

/** Raw (unpreprocessed) train/test data of a named data set. */
export function loadDataset(options: LoadDatasetOptions): DataSplit {
  const { entry, argument } = entryOf(options.name);
  return entry.load(options, argument);
}

/** The shape, classes and sizes loadDataset(options) will return, without loading the examples. */
export function datasetShape(options: LoadDatasetOptions): DataShape {
  const { entry, argument } = entryOf(options.name);
  return entry.shape(options, argument);
}
