// `--data file:PATH.safetensors`: a user's data set as one safetensors file holding x_train, y_train
// and optionally x_test, y_test (as PyTorch's or NumPy's safetensors writers save them), read with the run store's reader.

import { statSync } from 'node:fs';
import { InputFileError, readInputFile } from '../util/input-file.ts';
import { decodeSafetensors, type StoredTensor } from '../store/safetensors.ts';
import { StoreError } from '../store/errors.ts';
import { DataError } from './errors.ts';
import { shapeOfSplit, splitFromArrays, type LabelledArrays } from './arrays.ts';
import type { DataShape, DataSplit } from './dataset.ts';

/** The tensors a data file holds: the train pair always, the test pair together or not at all. */
export const DATA_FILE_TENSORS = ['x_train', 'y_train', 'x_test', 'y_test'] as const;

/** The file's tensors; a file that cannot be read or decoded is one DataError line naming `input`. */
function readTensors(path: string, input: string): Record<string, StoredTensor> {
  try {
    // Labelled with the input as the user gave it: "file:x.safetensors: header length …".
    return decodeSafetensors(readInputFile(path, 'data', input), input).tensors;
  } catch (error) {
    // The reader's and the decoder's one-line errors, as this module's one error type for bad data.
    if (error instanceof StoreError || error instanceof InputFileError) throw new DataError(error.message);
    throw error;
  }
}

function pair(tensors: Record<string, StoredTensor>, x: string, y: string): LabelledArrays {
  const named = (name: string) => ({ name, values: tensors[name]!.data, shape: tensors[name]!.shape });
  return { x: named(x), y: named(y) };
}

/** The split in the file at `path`; every problem is one DataError line starting with `input` (the spec). */
export function loadSafetensorsData(path: string, input: string): DataSplit {
  const tensors = readTensors(path, input);
  const has = (name: string) => Object.hasOwn(tensors, name);
  const unexpected = Object.keys(tensors).find((name) => !(DATA_FILE_TENSORS as readonly string[]).includes(name));
  if (unexpected !== undefined) throw new DataError(`${input}: unexpected tensor '${unexpected}' (a data file holds ${DATA_FILE_TENSORS.join(', ')})`);
  for (const name of ['x_train', 'y_train']) if (!has(name)) throw new DataError(`${input}: no tensor '${name}' (a data file holds ${DATA_FILE_TENSORS.join(', ')})`);
  if (has('x_test') !== has('y_test')) throw new DataError(`${input}: ${has('x_test') ? 'x_test without y_test' : 'y_test without x_test'}; give both or neither`);
  const test = has('x_test') ? pair(tensors, 'x_test', 'y_test') : undefined;
  // uint8 examples are pixels 0..255 (what torchvision's .data and NumPy image arrays hold), so --preprocess scale knows their range.
  const pixels = tensors.x_train!.dtype === 'uint8' && (!test || tensors.x_test!.dtype === 'uint8');
  return splitFromArrays(input, { train: pair(tensors, 'x_train', 'y_train'), ...(test ? { test } : {}) }, pixels ? { pixelMax: 255 } : {});
}

// The preflight and the run each need the data: a sweep's preflight runs once per trial, so the shape of
// the file last seen is remembered by path, size and modification time.
let lastShape: { key: string; shape: DataShape } | undefined;

/** The shape for the memory preflight: the file is read and checked in full (the classes are in its labels). */
export function safetensorsDataShape(path: string, input: string): DataShape {
  let key: string;
  try {
    const stat = statSync(path);
    key = `${path}\0${stat.size}\0${stat.mtimeMs}`;
  } catch {
    return shapeOfSplit(loadSafetensorsData(path, input)); // the loader names what is wrong
  }
  if (lastShape?.key !== key) lastShape = { key, shape: shapeOfSplit(loadSafetensorsData(path, input)) };
  return { ...lastShape.shape, example: [...lastShape.shape.example] };
}
