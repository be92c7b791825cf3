// Public entry point of src/data: loaders, download, preprocessing, augmentation, samplers, batch gathering.
// loadDataset() (registry.ts) is the one call the CLI and the trainer need to turn a data set name into a DataSplit.

export { DataError } from './errors.ts';
export { checkDataset, classCounts, exampleSize, subset, balancedSubset, type Dataset, type DataShape, type DataSplit } from './dataset.ts';
export { loadDigits, loadAllDigits, parseDigitsCsv, splitDigits, DIGITS_ROWS, DIGITS_DEFAULT_TRAIN_SIZE, type DigitsOptions } from './digits.ts';
export { makeSynthetic, type SyntheticKind, type SyntheticOptions } from './synthetic.ts';
export { loadFashionMnist, parseIdxImages, parseIdxLabels, FASHION_MNIST_FILES, type IdxImages } from './fashion-mnist.ts';
export { loadCifar10, decodeCifar10Records, CIFAR10_RECORD_BYTES, CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE } from './cifar10.ts';
export { fetchDataset, DATASET_SOURCES, type DownloadableDataset, type FetchDatasetOptions, type FetchDatasetResult, type DownloadProgress } from './download.ts';
export { locateDataDir, SYSTEM_DATA_DIRS, type FileDataset, type LocateOptions } from './locate.ts';
export { verifyOfficialFile, DECOMPRESSED_SHA256 } from './integrity.ts';
export { listTarArchive, extractTarArchive, type TarEntryInfo, type TarLimits } from './tar.ts';
export { preprocess, preprocessSplit, standardizePerImage, scaleToUnit, flatten, PREPROCESS_MODES, type Preprocess } from './pipeline.ts';
export { randomCropFlip, type ImageShape } from './augment.ts';
export { makeSampler, stepsPerEpoch, SAMPLERS, SAMPLER_KINDS, type BatchSampler, type SamplerKind, type SamplerOptions } from './samplers.ts';
export { gatherRows, gatherLabels, type FloatBuffer } from './gather.ts';

export { DATASETS, DATASET_NAMES, DATA_SPEC_FORMS, DATA_SPEC_HELP, loadDataset, datasetShape, isDataSpec, dataSpecPath, type DatasetName, type DataSpec, type DatasetEntry, type LoadDatasetOptions } from './registry.ts';
