// Public API of the store: the SQLite run store and safetensors checkpoint files.
// Other modules import from here, never from the files behind it.

export { StoreError } from './errors.ts';
export {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
  type SafetensorsContents,
  type StoredTensor,
  type TensorData,
  type TensorDType,
} from './safetensors.ts';
