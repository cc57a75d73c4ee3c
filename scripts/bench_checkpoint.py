#!/usr/bin/env python3
"""Whole-checkpoint benchmark: `bonsai prune` (durable by default, with `--no-sync`, and with
`--scope global`) against `cp` (with and without syncing the copy, as Bonsai syncs its output
before renaming it) and a Python safetensors + numpy script doing the same pruning, on a generated checkpoint of several GB made of ~180 MB
tensors. Reports wall times (median of repeats) and peak resident memory (/usr/bin/time -v).

Usage: bench_checkpoint.py PATH/TO/bonsai FOLDER [TENSORS] [REPEATS]
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

from generated_checkpoint import write_f32_checkpoint

bonsai, folder = sys.argv[1], sys.argv[2]
tensors = int(sys.argv[3]) if len(sys.argv) > 3 else 16
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
os.makedirs(folder, exist_ok=True)
source = os.path.join(folder, "big.safetensors")
shape = (4096, 11008)  # 180 MB of F32


PYTHON_PRUNE = r'''
import sys, numpy as np
from safetensors.numpy import save_file
from safetensors import safe_open
source, target = sys.argv[1], sys.argv[2]
out = {}
with safe_open(source, framework="numpy") as f:
    metadata = f.metadata()
    for name in f.keys():
        w = f.get_tensor(name)
        scores = np.abs(w)
        k = scores.size // 2
        threshold = np.partition(scores.ravel(), k - 1)[k - 1]
        w[scores <= threshold] = 0
        out[name] = w
save_file(out, target, metadata=metadata)
'''


def timed(command):
    """Wall time (s) and peak RSS (MB) of one run."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command} failed: {result.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
    return elapsed, rss


def drop(path):
    if os.path.exists(path):
        os.remove(path)


if not os.path.exists(source) or os.path.getsize(source) < tensors * shape[0] * shape[1] * 4:
    write_f32_checkpoint(
        source, [f"model.layers.{i}.mlp.up_proj.weight" for i in range(tensors)], shape,
        lambda rng, shape: rng.standard_normal(shape, dtype=np.float32), {"format": "pt"})
size_gb = os.path.getsize(source) / 1e9
target = os.path.join(folder, "pruned.safetensors")
script = os.path.join(folder, "prune_numpy.py")
open(script, "w").write(PYTHON_PRUNE)

results = {}
for name, command in [
    ("cp", ["cp", source, target]),
    ("cp_fsync", ["sh", "-c", 'cp "$0" "$1" && sync "$1"', source, target]),
    ("bonsai", [bonsai, "prune", source, "-o", target, "--sparsity", "0.5", "--quiet"]),
    ("bonsai_no_sync", [bonsai, "prune", source, "-o", target, "--sparsity", "0.5", "--quiet",
                        "--no-sync"]),
    ("bonsai_global", [bonsai, "prune", source, "-o", target, "--sparsity", "0.5", "--quiet",
                       "--scope", "global"]),
    ("python", [sys.executable, script, source, target]),
]:
    runs = []
    for _ in range(repeats if name != "python" else 1):
        drop(target)
        runs.append(timed(command))
    results[name] = {"seconds": statistics.median(r[0] for r in runs),
                     "peak_rss_mb": max(r[1] for r in runs)}
    drop(target)

tensor_mb = shape[0] * shape[1] * 4 / 1e6
print(json.dumps({"checkpoint_gb": round(size_gb, 2), "tensor_mb": round(tensor_mb, 1),
                  "results": results}, indent=2))
print(f"bonsai --no-sync / cp = "
      f"{results['bonsai_no_sync']['seconds'] / results['cp']['seconds']:.2f}; "
      f"python / bonsai --no-sync = "
      f"{results['python']['seconds'] / results['bonsai_no_sync']['seconds']:.2f}; "
      f"bonsai --scope global peak RSS {results['bonsai_global']['peak_rss_mb']:.0f} MB, "
      f"{results['bonsai_global']['seconds']:.2f} s")
print(f"bonsai / cp = {results['bonsai']['seconds'] / results['cp']['seconds']:.2f}; "
      f"bonsai / (cp + fsync) = {results['bonsai']['seconds'] / results['cp_fsync']['seconds']:.2f}; "
      f"python / bonsai = {results['python']['seconds'] / results['bonsai']['seconds']:.2f}; "
      f"bonsai peak RSS {results['bonsai']['peak_rss_mb']:.0f} MB "
      f"(bound 3 × {tensor_mb:.0f} + 100 = {3 * tensor_mb + 100:.0f} MB)")
