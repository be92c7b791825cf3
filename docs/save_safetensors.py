# A safetensors writer in NumPy alone, for machines without the `safetensors` package (docs/data.md):
# save_file(tensors, path) takes what safetensors.numpy.save_file takes, and PyTorch CPU tensors too.
import json
import numpy as np

DTYPES = {"uint8": "U8", "int32": "I32", "int64": "I64", "float32": "F32", "float64": "F64"}

def save_file(tensors, path):
    arrays = {name: np.ascontiguousarray(np.asarray(t)) for name, t in tensors.items()}
    header, offset = {}, 0
    for name, a in arrays.items():
        header[name] = {"dtype": DTYPES[a.dtype.name], "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for a in arrays.values():
            f.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
