#!/usr/bin/env python3
"""Interop with the reference safetensors implementation and numpy.

Usage: scripts/interop.py PATH/TO/bonsai

Checks, through the built `bonsai` binary, that
  * files the reference writes (safetensors.numpy.save_file) load in Bonsai, and
    `bonsai report --json` agrees with numpy on counts and |w| statistics;
  * files Bonsai writes load with the reference, keep dtypes, shapes and the user's
    metadata (plus Bonsai's own keys), copy unselected tensors byte for byte, keep every
    kept weight bit-identical, and prune exactly the set a numpy reference prunes:
    k = floor(sparsity * units) lowest scores, ties to the lower index (stable sort);
  * the methods beyond the reference (N:M, Wanda per row from calibration inputs, global
    scope, blocks, compaction) prune exactly what numpy computes from their rules.
"""
import json
import os
import sys
import tempfile

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file, load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import Checks  # noqa: E402

checks = Checks(sys.argv[1])
check, run = checks.check, checks.run


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

    # The methods beyond the reference, against numpy written straight from their rules.
    selected_names = [t["name"] for t in report["tensors"]  # file order
                      if t["name"] in ("model.layers.0.mlp.up_proj.weight",
                                       "model.layers.0.mlp.down_proj.weight",
                                       "model.layers.0.self_attn.q_proj.weight")]
    weights = {name: tensors[name].astype(np.float32) for name in selected_names}

    def pruned_as(name, output, keep, what):
        result = load_file(output)[name]
        original = tensors[name]
        bits = original.view(np.uint32 if original.dtype == np.float32 else np.uint16)
        result_bits = result.view(bits.dtype)
        check(np.array_equal(result_bits[keep], bits[keep]) and np.all(result_bits[~keep] == 0),
              f"{what}/{name}: pruned exactly as numpy")

    def prune_with(name, *options):
        output = os.path.join(folder, f"{name}.safetensors")
        report_path = output + ".json"
        run("prune", source, "-o", output, "--report", report_path, "--quiet", *options)
        return output, {t["name"]: t for t in json.load(open(report_path))["tensors"]}

    for keep_n, group in [(2, 4), (1, 4), (4, 8)]:
        output, entries = prune_with(f"nm{keep_n}{group}", "--granularity", f"{keep_n}:{group}")
        for name, w in weights.items():
            rows, columns = w.shape
            scores = np.abs(w).reshape(rows, columns // group, group)
            order = np.argsort(scores, axis=2, kind="stable")
            keep = np.ones_like(scores, dtype=bool)
            np.put_along_axis(keep, order[:, :, : group - keep_n], False, axis=2)
            pruned_as(name, output, keep.reshape(w.shape), f"{keep_n}:{group}")
            check(entries[name]["pattern"] == {"keep": keep_n, "of": group, "satisfied": True},
                  f"{keep_n}:{group}/{name}: report says the pattern holds")

    activations = {name: rng.standard_normal((7, w.shape[1])).astype(np.float32)
                   for name, w in weights.items()}
    activations_path = os.path.join(folder, "activations.safetensors")
    save_file(activations, activations_path)
    output, entries = prune_with("wanda", "--metric", "wanda", "--activations", activations_path,
                                 "--per-row", "--sparsity", "0.5")
    for name, w in weights.items():
        norms = np.sqrt((activations[name].astype(np.float64) ** 2).sum(axis=0)).astype(np.float32)
        scores = np.abs(w) * norms[None, :]  # a float32 product, rounded once
        order = np.argsort(scores, axis=1, kind="stable")
        keep = np.ones_like(w, dtype=bool)
        np.put_along_axis(keep, order[:, : int(np.floor(0.5 * w.shape[1]))], False, axis=1)
        pruned_as(name, output, keep, "wanda per-row")
        check(entries[name]["score_source"].startswith("activations"), f"wanda/{name}: source")

    output, _ = prune_with("global", "--scope", "global", "--sparsity", "0.6")
    union = np.concatenate([np.abs(weights[name]).ravel() for name in selected_names])
    keep = expected_mask(union, int(np.floor(0.6 * union.size)))
    start = 0
    for name in selected_names:
        size = weights[name].size
        pruned_as(name, output, keep[start:start + size].reshape(weights[name].shape), "global")
        start += size

    output, _ = prune_with("blocks", "--granularity", "block:4x3", "--sparsity", "0.5")
    for name, w in weights.items():
        rows, columns = w.shape
        grid = [(r, c) for r in range(0, rows, 4) for c in range(0, columns, 3)]
        means = np.array([np.float32(np.abs(w[r:r + 4, c:c + 3]).astype(np.float64).mean())
                          for r, c in grid])
        block_keep = expected_mask(means, int(np.floor(0.5 * len(grid))))
        keep = np.zeros_like(w, dtype=bool)
        for (r, c), kept in zip(grid, block_keep):
            keep[r:r + 4, c:c + 3] = kept
        pruned_as(name, output, keep, "block:4x3")

    output, entries = prune_with("compact", "--granularity", "rows", "--metric", "l2",
                                 "--sparsity", "0.25", "--compact")
    compacted = load_file(output)
    for name, w in weights.items():
        kept = np.sort(np.argsort(unit_scores(w, "l2", "rows"), kind="stable")
                       [int(np.floor(0.25 * w.shape[0])):])
        check(entries[name]["kept_rows"] == kept.tolist(), f"compact/{name}: kept rows")
        check(np.array_equal(compacted[name].view(np.uint8), tensors[name][kept].view(np.uint8)),
              f"compact/{name}: the kept rows, bit for bit")

checks.finish("interop")
