#!/usr/bin/env python3
"""Whole-checkpoint benchmark of `bonsai prune` against copying the same bytes, every target of
issue #13 on one page.

On a generated checkpoint of F32 tensors (default: four 4096×11008 tensors, 721 MB, the
issue's shape) it times, side by side and interleaved (one run of each command per round, so
that a slow moment hits them all):

  cp                  `cp` of the file
  cp + sync           `cp`, then `sync` of the copy (Bonsai syncs its output before renaming)
  bonsai              `bonsai prune FILE -o OUT --sparsity 0.5` (synced, the default)
  bonsai --no-sync    the same without the sync
  bonsai 2:4          `bonsai prune FILE -o OUT --granularity 2:4 --no-sync`
  bonsai global       `--sparsity 0.5 --scope global --no-sync` (one ranking over all tensors)
  folder --no-sync    the same tensors as a sharded model folder (two shards and an index)
  numpy               a safetensors + numpy script doing the unstructured pruning

and prints each result next to its target, met or missed: --no-sync ≤ 2× cp and ≥ 4× faster
than numpy, synced ≤ 1.2× (cp + sync), 2:4 ≤ 2× cp (the issue sets it no bound of its own:
the unstructured one), the folder within 10 % of the file's
per-byte time, peak resident memory of every Bonsai run (global included) ≤ 3 × the largest
tensor + 100 MB.
Times are medians of REPEATS runs (numpy: of max(1, REPEATS // 2)); memory is the largest
peak (/usr/bin/time -v). Run it under `flock -x /tmp/bonsai-cpu.lock` so no build runs along.

Usage: bench_checkpoint.py PATH/TO/bonsai FOLDER [TENSORS] [REPEATS]
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

from generated_checkpoint import write_f32_checkpoint

bonsai, folder = sys.argv[1], sys.argv[2]
tensors = int(sys.argv[3]) if len(sys.argv) > 3 else 4
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 5
shape = (4096, 11008)  # 180 MB of F32
tensor_bytes = shape[0] * shape[1] * 4
names = [f"model.layers.{i}.mlp.up_proj.weight" for i in range(tensors)]
os.makedirs(folder, exist_ok=True)
source = os.path.join(folder, f"checkpoint-{tensors}.safetensors")
model = os.path.join(folder, f"model-{tensors}")
target = os.path.join(folder, "pruned.safetensors")
target_folder = os.path.join(folder, "pruned-model")
script = os.path.join(folder, "prune_numpy.py")

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


def draw(rng, shape):
    return rng.standard_normal(shape, dtype=np.float32)


def make_inputs():
    """The file, and the same tensors as a folder of two shards (written once, then kept)."""
    if not os.path.exists(source) or os.path.getsize(source) < tensors * tensor_bytes:
        write_f32_checkpoint(source, names, shape, draw, {"format": "pt"})
    if not os.path.exists(os.path.join(model, "model.safetensors.index.json")):
        shutil.rmtree(model, ignore_errors=True)
        os.makedirs(model)
        shards = [names[:(tensors + 1) // 2], names[(tensors + 1) // 2:]]
        weight_map = {}
        rng = np.random.default_rng(1)  # the file's generator: the same tensors, in order
        for index, members in enumerate(shards):
            shard = f"model-{index + 1:05d}-of-{len(shards):05d}.safetensors"
            write_f32_checkpoint(
                os.path.join(model, shard), members, shape, draw, {"format": "pt"}, rng)
            weight_map.update({name: shard for name in members})
        with open(os.path.join(model, "model.safetensors.index.json"), "w") as file:
            json.dump({"metadata": {"total_size": tensors * tensor_bytes},
                       "weight_map": weight_map}, file, indent=2, sort_keys=True)
        with open(os.path.join(model, "config.json"), "w") as file:
            json.dump({"architectures": ["LlamaForCausalLM"], "hidden_size": shape[1],
                       "intermediate_size": shape[0]}, file)
    with open(script, "w") as file:
        file.write(PYTHON_PRUNE)


def timed(command):
    """Wall time (s) and peak RSS (MB) of one run."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command} failed: {result.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
    return elapsed, rss


def clear_outputs():
    if os.path.exists(target):
        os.remove(target)
    shutil.rmtree(target_folder, ignore_errors=True)


make_inputs()
prune = [bonsai, "prune", source, "-o", target, "--quiet"]
commands = {
    "cp": ["cp", source, target],
    "cp + sync": ["sh", "-c", 'cp "$0" "$1" && sync "$1"', source, target],
    "bonsai": prune + ["--sparsity", "0.5"],
    "bonsai --no-sync": prune + ["--sparsity", "0.5", "--no-sync"],
    "bonsai 2:4": prune + ["--granularity", "2:4", "--no-sync"],
    "bonsai global": prune + ["--sparsity", "0.5", "--scope", "global", "--no-sync"],
    "folder --no-sync": [bonsai, "prune", model, "-o", target_folder, "--sparsity", "0.5",
                         "--quiet", "--no-sync"],
    "numpy": [sys.executable, script, source, target],
}
runs = {name: [] for name in commands}
for round in range(repeats):
    for name, command in commands.items():
        if name == "numpy" and round >= max(1, repeats // 2):
            continue
        clear_outputs()
        runs[name].append(timed(command))
clear_outputs()

seconds = {name: statistics.median(r[0] for r in results) for name, results in runs.items()}
rss = {name: max(r[1] for r in results) for name, results in runs.items()}
tensor_mb = tensor_bytes / 1e6
bound = 3 * tensor_mb + 100
folder_bytes = sum(os.path.getsize(os.path.join(model, f)) for f in os.listdir(model)
                   if f.endswith(".safetensors"))
file_bytes = os.path.getsize(source)


def line(what, value, limit, unit="", smaller=True):
    met = value <= limit if smaller else value >= limit
    sign = "≤" if smaller else "≥"
    print(f"  {what:<44} {value:7.2f}{unit}  target {sign} {limit:g}{unit}  "
          f"{'met' if met else 'MISSED'}")


print(f"{tensors} F32 tensors of {shape[0]}×{shape[1]} ({file_bytes / 1e6:.0f} MB), "
      f"{repeats} rounds; median seconds (peak RSS MB):")
for name in commands:
    print(f"  {name:<20} {seconds[name]:7.3f} s  ({rss[name]:5.0f} MB)  "
          f"runs: {' '.join(f'{r[0]:.3f}' for r in runs[name])}")
print("targets:")
line("bonsai --no-sync / cp", seconds["bonsai --no-sync"] / seconds["cp"], 2)
line("numpy / bonsai --no-sync", seconds["numpy"] / seconds["bonsai --no-sync"], 4, smaller=False)
line("bonsai (synced) / (cp + sync)", seconds["bonsai"] / seconds["cp + sync"], 1.2)
line("bonsai 2:4 --no-sync / cp", seconds["bonsai 2:4"] / seconds["cp"], 2)
line("folder per byte / file per byte (--no-sync)",
     (seconds["folder --no-sync"] / folder_bytes) / (seconds["bonsai --no-sync"] / file_bytes), 1.1)
for name in commands:
    if name.startswith(("bonsai", "folder")):
        line(f"peak RSS of {name} (MB)", rss[name], bound)
