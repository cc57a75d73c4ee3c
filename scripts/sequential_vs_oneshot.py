#!/usr/bin/env python3
"""How much sequential calibration changes pruning, against one-shot capture, on a small
random Llama (hidden 128, intermediate 256, 4 blocks; 32 samples × 64 calibration tokens).

Usage: scripts/sequential_vs_oneshot.py PATH/TO/bonsai

For SparseGPT 50 %, SparseGPT 2:4 and Wanda 50 % per row, prunes the model twice: with the
Hessians (norms) of one-shot capture on the dense model (`bonsai-calibrate --hessians`, then
`bonsai prune` on the folder), and with `bonsai-calibrate --sequential --prune`. Prints, per
run, the sum over the 28 pruned tensors of bonsai's relative output error (each measured
with the Hessian that run calibrated on) and the mean squared difference of the final hidden
states from the dense model's on 16 × 64 held-out tokens, relative to their mean square.
"""
from __future__ import annotations

import json
import os
import tempfile

from calibration_checks import calibrate, tiny_llama, token_file
from checks import BONSAI, run

SAMPLES, LENGTH, HELD_OUT = 32, 64, 16
METHODS = {"SparseGPT 50 %": ["--metric", "sparsegpt", "--sparsity", "0.5"],
           "SparseGPT 2:4": ["--metric", "sparsegpt", "--granularity", "2:4"],
           "Wanda 50 % per row": ["--metric", "wanda", "--per-row", "--sparsity", "0.5"]}


def final_states(folder: str, ids: list[int]):
    """The final hidden states of the model in `folder` on the held-out tokens."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    with torch.no_grad():
        return model.model(torch.tensor(ids).view(HELD_OUT, LENGTH), use_cache=False).last_hidden_state


def main() -> None:
    """Prints one table row per method and mode."""
    from transformers.utils import logging

    logging.disable_progress_bar()
    with tempfile.TemporaryDirectory() as work:
        folder = os.path.join(work, "llama")
        tiny_llama(folder, hidden=128, intermediate=256, layers=4)
        ids_file = os.path.join(work, "ids.txt")
        token_file(ids_file, SAMPLES * LENGTH, seed=1)
        held_out = token_file(os.path.join(work, "held-out.txt"), HELD_OUT * LENGTH, seed=2)
        dense = final_states(folder, held_out)
        hessians, norms = os.path.join(work, "h.safetensors"), os.path.join(work, "n.safetensors")
        common = ["--token-ids", ids_file, "--samples", str(SAMPLES), "--length", str(LENGTH)]
        result = calibrate(folder, *common, "--hessians", hessians, "--norms", norms, "--dtype", "f64")
        assert result.returncode == 0, result.stderr
        print("| method | calibration | Σ relative output error | final hidden states: relative MSE |")
        print("|---|---|---|---|")
        for index, (method, options) in enumerate(METHODS.items()):
            oneshot, report = os.path.join(work, f"oneshot-{index}"), os.path.join(work, f"r{index}.json")
            activations = ["--activations", norms] if "wanda" in options else []
            run("prune", folder, "-o", oneshot, "--hessians", hessians, *activations,
                "--report", report, "--quiet", *options)
            errors = sum(entry.get("relative_output_error", 0) for entry in json.load(open(report))["tensors"])
            sequential = os.path.join(work, f"sequential-{index}")
            result = calibrate(folder, *common, "--sequential", "--prune", sequential,
                               "--bonsai", BONSAI, *options)
            assert result.returncode == 0, result.stderr
            sequential_errors = float(result.stdout.rsplit(" ", 1)[-1])
            for mode, output, total in (("one-shot", oneshot, errors),
                                        ("sequential", sequential, sequential_errors)):
                difference = ((final_states(output, held_out) - dense) ** 2).mean() / (dense ** 2).mean()
                print(f"| {method} | {mode} | {total:.4f} | {float(difference):.3e} |")


if __name__ == "__main__":
    main()
