#!/usr/bin/env python3
"""Global pruning past 2^31 weights, streaming: writes a checkpoint of 48 F32 tensors of
4096 x 11008 (2.16 billion weights, 8.7 GB), prunes it with `bonsai prune --scope global`,
and checks that exactly floor(sparsity x total) weights were pruned over the union, and
the peak resident memory (/usr/bin/time -v) against 3 x the largest tensor + 100 MB.
PyTorch's global_unstructured concatenates every score with torch.cat first.

Usage: check_global_2_31.py PATH/TO/bonsai FOLDER   (needs ~18 GB free in FOLDER)
"""
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

from generated_checkpoint import write_f32_checkpoint

bonsai, folder = sys.argv[1], sys.argv[2]
tensors, shape, sparsity = 48, (4096, 11008), 0.5
os.makedirs(folder, exist_ok=True)
source = os.path.join(folder, "huge.safetensors")
target = os.path.join(folder, "huge-global.safetensors")
report = os.path.join(folder, "huge-global.json")
size = shape[0] * shape[1] * 4

if not os.path.exists(source) or os.path.getsize(source) < tensors * size:
    write_f32_checkpoint(
        source, [f"layers.{i}.weight" for i in range(tensors)], shape,
        lambda rng, shape: rng.random(shape, dtype=np.float32) * 2 - 1)

total = tensors * shape[0] * shape[1]
start = time.perf_counter()
result = subprocess.run(["/usr/bin/time", "-v", bonsai, "prune", source, "-o", target,
                         "--scope", "global", "--sparsity", str(sparsity), "--no-sync",
                         "--quiet", "--report", report], capture_output=True, text=True)
elapsed = time.perf_counter() - start
if result.returncode != 0:
    raise SystemExit(f"bonsai failed: {result.stderr[-2000:]}")
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
pruned = json.load(open(report))
expected = total - int(np.floor(sparsity * total))
bound = 3 * size / 1e6 + 100
print(json.dumps({"weights": total, "past_2_31": total > 2**31, "seconds": round(elapsed, 1),
                  "peak_rss_mb": round(rss), "rss_bound_mb": round(bound),
                  "nonzero_after": pruned["total_nonzero"], "expected_nonzero": expected},
                 indent=2))
os.remove(target)
ok = pruned["total_nonzero"] == expected and rss <= bound
print("global past 2^31:", "ok" if ok else "FAILED")
sys.exit(0 if ok else 1)
