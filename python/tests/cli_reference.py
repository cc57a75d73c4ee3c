"""The `bonsai` command line's output on given tensors: the reference that the C interface's
test (through Tests/CInterface/cli_cases.py) and the Python binding's tests compare with.

Each case prunes one 2-D tensor named `layer.weight` in a checkpoint of its own with
`bonsai prune`, and reads back the pruned bytes. Checkpoints are written and read here with
the format's few rules (an 8-byte header length, a JSON header, the data), so that bfloat16
needs no third-party type.
"""

import json
import os
import struct
import subprocess

import numpy as np

NAME = "layer.weight"
DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def write_checkpoint(path, tensors):
    """Writes `tensors`, a list of (name, safetensors dtype, numpy array), to `path`."""
    header, offset = {}, 0
    for name, dtype, array in tensors:
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text)
        for _, _, array in tensors:
            file.write(np.ascontiguousarray(array).tobytes())


def read_tensor(path, name):
    """The tensor `name` of the checkpoint at `path`, as a numpy array of its raw dtype."""
    with open(path, "rb") as file:
        data = file.read()
    length = struct.unpack("<Q", data[:8])[0]
    info = json.loads(data[8:8 + length])[name]
    start, end = info["data_offsets"]
    raw = data[8 + length + start:8 + length + end]
    return np.frombuffer(raw, dtype=DTYPES[info["dtype"]]).reshape(info["shape"]).copy()


def random_weights(rows, columns, dtype, seed):
    """Weights in ±[0.001, 1] (never zero, so the kept mask is where the output is nonzero)
    in the raw numpy type of `dtype` (bfloat16 as the high 16 bits of float32)."""
    generator = np.random.default_rng(seed)
    values = generator.uniform(0.001, 1, (rows, columns)) * generator.choice([-1, 1], (rows, columns))
    values = values.astype(np.float32)
    if dtype == "BF16":
        return (values.view(np.uint32) >> 16).astype(np.uint16)
    return values.astype(DTYPES[dtype])


def cli_pruned(bonsai, folder, case, weights, gradients=None, norms=None):
    """The command line's pruned copy of `weights` under `case`'s options (a list of
    arguments), with gradients or input norms written to files of their own when given."""
    dtype = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
             np.dtype(np.uint16): "BF16"}[weights.dtype]
    source = os.path.join(folder, case + ".safetensors")
    output = os.path.join(folder, case + "-pruned.safetensors")
    write_checkpoint(source, [(NAME, dtype, weights)])
    extra = []
    if gradients is not None:
        extra += ["--gradients", os.path.join(folder, case + "-gradients.safetensors")]
        write_checkpoint(extra[-1], [(NAME, "F32", gradients.astype(np.float32))])
    if norms is not None:
        extra += ["--activations", os.path.join(folder, case + "-norms.safetensors")]
        write_checkpoint(extra[-1], [(NAME, "F32", norms.astype(np.float32))])
    arguments = CASES[case]
    subprocess.run([bonsai, "prune", source, "-o", output, "--no-sync", *arguments, *extra],
                   check=True, capture_output=True)
    return read_tensor(output, NAME)


# Every granularity, metric and scope of the command line, by case name.
CASES = {
    "l1": ["--sparsity", "0.5"],
    "l2-min-nonzero": ["--sparsity", "0.9", "--metric", "l2", "--min-nonzero", "300"],
    "rows-l2": ["--sparsity", "0.3", "--granularity", "rows", "--metric", "l2"],
    "columns-l1": ["--sparsity", "0.4", "--granularity", "columns"],
    "2-4": ["--granularity", "2:4"],
    "blocks-max": ["--sparsity", "0.5", "--granularity", "block:4x8", "--block-pooling", "max"],
    "per-row": ["--sparsity", "0.6", "--per-row"],
    "random": ["--sparsity", "0.5", "--metric", "random", "--seed", "7"],
    "iterative": ["--sparsity", "0.25", "--granularity", "columns", "--iterative", "remaining"],
    "taylor": ["--sparsity", "0.5", "--metric", "taylor"],
    "taylor-proxy": ["--sparsity", "0.5", "--metric", "taylor"],
    "wanda": ["--sparsity", "0.5", "--metric", "wanda", "--per-row"],
    "wanda-calibration": ["--sparsity", "0.5", "--metric", "wanda"],
}

# The same options as keyword arguments of `bonsai.prune`.
KEYWORDS = {
    "l1": {"sparsity": 0.5},
    "l2-min-nonzero": {"sparsity": 0.9, "metric": "l2", "min_nonzero": 300},
    "rows-l2": {"sparsity": 0.3, "granularity": "rows", "metric": "l2"},
    "columns-l1": {"sparsity": 0.4, "granularity": "columns"},
    "2-4": {"granularity": "2:4"},
    "blocks-max": {"sparsity": 0.5, "granularity": "block:4x8", "block_pooling": "max"},
    "per-row": {"sparsity": 0.6, "per_row": True},
    "random": {"sparsity": 0.5, "metric": "random", "seed": 7},
    "iterative": {"sparsity": 0.25, "granularity": "columns", "iterative": "remaining"},
    "taylor": {"sparsity": 0.5, "metric": "taylor"},
    "taylor-proxy": {"sparsity": 0.5, "metric": "taylor"},
    "wanda": {"sparsity": 0.5, "metric": "wanda", "per_row": True},
    "wanda-calibration": {"sparsity": 0.5, "metric": "wanda"},
}


def score_inputs(case, rows, columns, seed):
    """The gradients and activations a case uses (None when it uses none): input norms, or
    the calibration inputs [samples, in] they come from."""
    generator = np.random.default_rng(seed + 1)
    gradients = generator.normal(size=(rows, columns)).astype(np.float32) if case == "taylor" else None
    norms = {"wanda": lambda: generator.uniform(0, 3, columns),
             "wanda-calibration": lambda: generator.normal(size=(16, columns))}.get(case)
    return gradients, None if norms is None else norms().astype(np.float32)
