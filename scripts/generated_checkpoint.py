"""Writing large F32 safetensors checkpoints for the benchmarks, one tensor at a time (never
all in memory), which the reference library's save_file cannot do."""
import json

import numpy as np


def write_f32_checkpoint(path, names, shape, draw, metadata=None, rng=None):
    """Writes tensors `names`, each of `shape`, filled by `draw(rng, shape)` (float32) from
    one generator (`rng`, default one seeded with 1: pass the same one to go on drawing where
    another file stopped), with an 8-byte-aligned header and optional `__metadata__`."""
    size = shape[0] * shape[1] * 4
    header = {"__metadata__": metadata} if metadata else {}
    for i, name in enumerate(names):
        header[name] = {"dtype": "F32", "shape": list(shape),
                        "data_offsets": [i * size, (i + 1) * size]}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    rng = np.random.default_rng(1) if rng is None else rng
    with open(path, "wb") as out:
        out.write(len(text).to_bytes(8, "little"))
        out.write(text)
        for _ in names:
            out.write(draw(rng, shape).astype(np.float32, copy=False).tobytes())
