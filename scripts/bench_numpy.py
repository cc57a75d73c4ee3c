#!/usr/bin/env python3
"""The numpy reference for scripts/bench: what a practitioner would write.

Prints one JSON object per case, like the Swift benchmark: each timed repeat prunes a fresh
copy of the matrix in place (restoring it is not timed); "copy" times np.copyto once.
"""
import json
import os
import sys
import time

import numpy as np

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 9
# Only the cases whose names contain one of these comma-separated words (all by default).
only = [word for word in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if word]
rng = np.random.default_rng(42)


def median(prepare, body):
    times = []
    for _ in range(repeats):
        prepare()
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)[len(times) // 2]


def selected(name):
    return not only or any(word in name for word in only)


def emit(name, shape, body, prepare=None):
    """Times `body` (after `prepare` each repeat) as case `name`, when it is selected."""
    if name != "copy" and not selected(name):
        return
    ms = median(prepare or (lambda: None), body)
    print(json.dumps({"case": name, "shape": list(shape), "threads": 0, "median_ms": ms,
                      "repeats": repeats}), flush=True)


for shape in [(4096, 4096), (4096, 11008)]:
    pristine = rng.uniform(-1, 1, size=shape).astype(np.float32)
    work = np.empty_like(pristine)
    restore = lambda: np.copyto(work, pristine)
    emit("copy", shape, restore)
    k = work.size // 2

    def unstructured(square):
        def run():
            scores = np.square(work) if square else np.abs(work)
            threshold = np.partition(scores.ravel(), k - 1)[k - 1]
            work[scores <= threshold] = 0
        return run

    def structured(axis, l2):
        def run():
            norms = np.linalg.norm(work, axis=axis) if l2 else np.abs(work).sum(axis=axis)
            units = np.argpartition(norms, norms.size // 2)[: norms.size // 2]
            if axis == 1:
                work[units, :] = 0
            else:
                work[:, units] = 0
        return run

    def lowest_per_group(scores_of, group, count):
        """Zeroes the `count` lowest scores of every `group` consecutive weights of a row
        (argpartition, as an ASP- or Wanda-style numpy script would)."""
        def run():
            scores = scores_of().reshape(-1, group)
            lowest = np.argpartition(scores, count - 1, axis=1)[:, :count]
            np.put_along_axis(work.reshape(-1, group), lowest, 0, axis=1)
        return run

    norms = ((np.arange(shape[1]) % 97 + 1) / 97).astype(np.float32)
    emit("nm_2_4_l1", shape, lowest_per_group(lambda: np.abs(work), 4, 2), restore)
    emit("nm_1_4_l1", shape, lowest_per_group(lambda: np.abs(work), 4, 3), restore)
    emit("nm_4_8_l1", shape, lowest_per_group(lambda: np.abs(work), 8, 4), restore)
    emit("per_row_l1", shape,
         lowest_per_group(lambda: np.abs(work), shape[1], shape[1] // 2), restore)
    emit("per_row_l2", shape,
         lowest_per_group(lambda: np.square(work), shape[1], shape[1] // 2), restore)
    emit("wanda_per_row", shape,
         lowest_per_group(lambda: np.abs(work) * norms[None, :], shape[1], shape[1] // 2),
         restore)
    emit("unstructured_l1", shape, unstructured(False), restore)
    emit("unstructured_l2", shape, unstructured(True), restore)
    emit("rows_l1", shape, structured(1, False), restore)
    emit("rows_l2", shape, structured(1, True), restore)
    emit("columns_l1", shape, structured(0, False), restore)
    emit("columns_l2", shape, structured(0, True), restore)

# SparseGPT: the published algorithm in numpy (scripts/sparsegpt_reference.py) on the weights
# and Hessian the Swift benchmark wrote, from the Hessian to the pruned weights. One repeat:
# a run takes tens of seconds to minutes.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sparsegpt_reference import sparsegpt, relative_output_error  # noqa: E402

for rows, n in [(4096, 4096), (4096, 11008)]:
    stem = f"bench-results/sparsegpt_{rows}x{n}"
    if not os.path.exists(stem + "_hessian.f32"):
        continue
    W = np.fromfile(stem + "_weights.f32", dtype=np.float32).reshape(rows, n)
    H = np.fromfile(stem + "_hessian.f32", dtype=np.float32).reshape(n, n)
    for name, prune_n, prune_m in [("sparsegpt_unstructured", 0, 0), ("sparsegpt_2_4", 2, 4)]:
        if not selected(name):
            continue
        start = time.perf_counter()
        pruned = sparsegpt(W, H, sparsity=0.5, prune_n=prune_n, prune_m=prune_m)
        ms = (time.perf_counter() - start) * 1e3
        print(json.dumps({"case": name, "shape": [rows, n], "threads": 0, "median_ms": ms,
                          "repeats": 1}), flush=True)
        print(f"{name} {[rows, n]} numpy: relative output error "
              f"{relative_output_error(W, pruned, H)}", file=sys.stderr)
