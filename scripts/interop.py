#!/usr/bin/env python3
"""Interop with the reference safetensors implementation and numpy.

Usage: scripts/interop.py PATH/TO/bonsai

Checks, through the built `bonsai` binary, that
  * files the reference writes (safetensors.numpy.save_file) load in Bonsai, and
    `bonsai report --json` agrees with numpy on counts and |w| statistics;
  * files Bonsai writes load with the reference, keep dtypes, shapes and the user's
    metadata (plus Bonsai's own keys), copy unselected tensors byte for byte, keep every
    kept weight bit-identical, and prune exactly the set a numpy reference prunes:
    k = floor(sparsity * units) lowest scores, ties to the lower index (stable sort).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file, load_file

BONSAI = sys.argv[1]
failures = []
passes = 0


def check(condition, what):
    global passes
    if condition:
        passes += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def run(*args):
    result = subprocess.run([BONSAI, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"bonsai {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def expected_mask(scores, k):
    """Kept mask: the k lowest scores pruned, ties to the lower index (stable sort)."""
    order = np.argsort(scores, kind="stable")
    keep = np.ones(scores.shape[0], dtype=bool)
    keep[order[:k]] = False
    return keep


def unit_scores(w, metric, granularity):
    w64 = w.astype(np.float64)
    axis = 1 if granularity == "rows" else 0
    if metric == "l1":
        return np.abs(w64).sum(axis=axis)
    return np.sqrt((w64 * w64).sum(axis=axis))


rng = np.random.default_rng(7)
with tempfile.TemporaryDirectory() as folder:
    source = os.path.join(folder, "reference.safetensors")
    tensors = {
        "model.embed_tokens.weight": rng.standard_normal((64, 32)).astype(np.float32),
        "model.layers.0.mlp.up_proj.weight": rng.standard_normal((96, 48)).astype(np.float32),
        "model.layers.0.mlp.down_proj.weight": rng.standard_normal((48, 96)).astype(np.float16),
        "model.layers.0.self_attn.q_proj.weight":
            np.round(rng.standard_normal((40, 40)) * 4).astype(np.float32) / 4,  # many ties
        "model.layers.0.input_layernorm.weight": np.ones(48, dtype=np.float32),
        "position_ids": np.arange(16, dtype=np.int64),
        "lm_head.weight": rng.standard_normal((64, 32)).astype(np.float32),
    }
    save_file(tensors, source, metadata={"format": "np", "owner": "interop"})

    # The reference's file in Bonsai: report agrees with numpy.
    report = json.loads(run("report", source, "--json"))
    by_name = {t["name"]: t for t in report["tensors"]}
    check(set(by_name) == set(tensors), "report lists every tensor of the reference file")
    for name, array in tensors.items():
        entry = by_name[name]
        check(entry["shape"] == list(array.shape), f"{name}: shape")
        check(entry["total_params"] == array.size, f"{name}: total_params")
        check(entry["nonzero_params"] == int(np.count_nonzero(array)), f"{name}: nonzero_params")
        if array.dtype.kind == "f":
            magnitudes = np.abs(array.astype(np.float64)).ravel()
            stats = entry["magnitude"]
            for key, value in [("min", magnitudes.min()), ("max", magnitudes.max()),
                               ("mean", magnitudes.mean()), ("median", np.median(magnitudes)),
                               ("standardDeviation", magnitudes.std())]:
                check(abs(stats[key] - value) <= 1e-9 * max(1.0, abs(value)),
                      f"{name}: |w| {key} {stats[key]} vs numpy {value}")

    # Bonsai's files in the reference, for each granularity.
    for metric, granularity, sparsity in [("l1", "unstructured", 0.5), ("l2", "rows", 0.3),
                                          ("l1", "columns", 0.25), ("l2", "unstructured", 0.7)]:
        pruned_path = os.path.join(folder, f"pruned-{granularity}.safetensors")
        report_path = os.path.join(folder, f"report-{granularity}.json")
        run("prune", source, "-o", pruned_path, "--metric", metric, "--granularity", granularity,
            "--sparsity", str(sparsity), "--report", report_path, "--quiet")
        pruned = load_file(pruned_path)
        with safe_open(pruned_path, framework="numpy") as handle:
            metadata = handle.metadata()
        check(metadata.get("owner") == "interop" and metadata.get("format") == "np",
              f"{granularity}: user metadata kept")
        check(metadata.get("bonsai.sparsity") == str(sparsity), f"{granularity}: bonsai metadata")
        check(set(pruned) == set(tensors), f"{granularity}: same tensors")
        json_report = json.load(open(report_path))
        selected = {t["name"] for t in json_report["tensors"] if t["pruned"]}
        check(selected == {"model.layers.0.mlp.up_proj.weight",
                           "model.layers.0.mlp.down_proj.weight",
                           "model.layers.0.self_attn.q_proj.weight"},
              f"{granularity}: default selection {sorted(selected)}")
        for name, original in tensors.items():
            result = pruned[name]
            check(result.dtype == original.dtype and result.shape == original.shape,
                  f"{granularity}/{name}: dtype and shape kept")
            if name not in selected:
                check(result.tobytes() == original.tobytes(), f"{granularity}/{name}: copied")
                continue
            w = original.astype(np.float32)
            if granularity == "unstructured":
                scores = np.abs(w).ravel() if metric == "l1" else (w * w).ravel()
                keep = expected_mask(scores, int(np.floor(sparsity * w.size)))
                keep = keep.reshape(w.shape)
            else:
                scores = unit_scores(w, metric, granularity)
                unit_keep = expected_mask(scores, int(np.floor(sparsity * scores.shape[0])))
                keep = (unit_keep[:, None] if granularity == "rows" else unit_keep[None, :])
                keep = np.broadcast_to(keep, w.shape)
            bits = original.view(np.uint32 if original.dtype == np.float32 else np.uint16)
            result_bits = result.view(bits.dtype)
            check(np.array_equal(result_bits[keep], bits[keep]),
                  f"{granularity}/{name}: kept weights bit-identical")
            check(np.all(result_bits[~keep] == 0), f"{granularity}/{name}: pruned weights +0")
            entry = next(t for t in json_report["tensors"] if t["name"] == name)
            check(entry["nonzero_params"] == int(np.count_nonzero(result)),
                  f"{granularity}/{name}: report nonzero_params")

print(f"interop: {passes} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
