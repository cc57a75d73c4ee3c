#!/usr/bin/env python3
"""The table of relative output error in docs/sparsegpt-and-calibration.md: the demo model
(`bonsai demo --folder`) pruned by magnitude, Wanda and SparseGPT at 50 % and 2:4, each layer
measured with the same Hessians. The calibration inputs are synthetic (a few latent factors
mixed, noise, some loud features: correlated as real layer inputs are), not captured from a
language model.

Usage: scripts/output_error_table.py PATH/TO/bonsai
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import save_file

BONSAI = sys.argv[1]
LAYER = "model.layers.0."
# Which calibration input each weight reads, and the weight that stores its Hessian.
READS = {"self_attn.q_proj": "attn_in", "self_attn.k_proj": "attn_in",
         "self_attn.v_proj": "attn_in", "self_attn.o_proj": "attn_out",
         "mlp.gate_proj": "mlp_in", "mlp.up_proj": "mlp_in", "mlp.down_proj": "mlp_act"}
WIDTH = {"attn_in": 512, "attn_out": 512, "mlp_in": 512, "mlp_act": 2048}


def calibration(rng, samples, n):
    x = rng.standard_normal((samples, n // 8)) @ rng.standard_normal((n // 8, n))
    x += 0.05 * rng.standard_normal((samples, n))
    x[:, ::7] *= 8
    return x


with tempfile.TemporaryDirectory() as folder:
    subprocess.run([BONSAI, "demo", "--folder", folder], check=True, capture_output=True)
    model = os.path.join(folder, "example.safetensors")
    rng = np.random.default_rng(3)
    inputs = {source: calibration(rng, 2048, n) for source, n in WIDTH.items()}
    owner = {}
    for weight, source in READS.items():
        owner.setdefault(source, LAYER + weight + ".weight")
    hessians = os.path.join(folder, "hessians.safetensors")
    save_file({owner[s]: (x.T @ x).astype(np.float32) for s, x in inputs.items()}, hessians,
              metadata={LAYER + w + ".weight": owner[s] for w, s in READS.items()
                        if LAYER + w + ".weight" != owner[s]})
    norms = os.path.join(folder, "norms.safetensors")
    save_file({LAYER + w + ".weight": np.linalg.norm(inputs[s], axis=0).astype(np.float32)
               for w, s in READS.items()}, norms)
    errors = {}
    for label, options in [
            ("magnitude 50 %", ["--metric", "l1"]),
            ("Wanda 50 % (per row)", ["--metric", "wanda", "--per-row", "--activations", norms]),
            ("SparseGPT 50 %", ["--metric", "sparsegpt"]),
            ("magnitude 2:4", ["--metric", "l1", "--granularity", "2:4"]),
            ("Wanda 2:4", ["--metric", "wanda", "--granularity", "2:4", "--activations", norms]),
            ("SparseGPT 2:4", ["--metric", "sparsegpt", "--granularity", "2:4"])]:
        output = os.path.join(folder, "out.safetensors")
        subprocess.run([BONSAI, "prune", model, "-o", output, "--quiet", "--hessians", hessians,
                        "--report", output + ".json", *options], check=True)
        report = json.load(open(output + ".json"))
        errors[label] = {t["name"]: t["relative_output_error"] for t in report["tensors"]
                         if t["pruned"]}

names = [LAYER + w + ".weight" for w in READS]
print("| method | " + " | ".join(w.split(".")[-1] for w in READS) + " |")
print("|---|" + "---|" * len(names))
for label, by_name in errors.items():
    print(f"| {label} | " + " | ".join(f"{by_name[n]:.3f}" for n in names) + " |")
