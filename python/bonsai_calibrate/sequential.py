"""Sequential pruning, the way SparseGPT and Wanda run: block i is pruned with statistics of
inputs that the already-pruned blocks 0 … i−1 computed.

Each block's linear weights go to a temporary safetensors file, with its Hessians (and, for
`--metric wanda`, its input norms) beside it; the `bonsai` executable prunes that file with
the user's options, and the pruned weights are loaded back into the model before the block
computes the next block's inputs. At the end the model is saved with `save_pretrained` into
a temporary folder next to OUTDIR, the source folder's other files (tokenizer, …) copied in,
and renamed into place.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

import torch
from torch import nn

from bonsai_calibrate import CalibrationError
from bonsai_calibrate.capture import BlockStatistics, save_statistics

_WEIGHT_FILES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".gguf", ".onnx",
                 ".index.json")
"""Files of the source folder that are weights (or their indexes): `save_pretrained` writes
the pruned ones; the others (tokenizer, README, …) are copied."""


@dataclass
class BlockPruner:
    """Prunes one block's linear weights with `bonsai prune`; remembers each tensor's report."""

    bonsai: str
    options: list[str]
    """The user's `bonsai prune` options (`--metric sparsegpt --sparsity 0.5`, …)."""
    dtype: torch.dtype
    """The dtype of the Hessians handed to bonsai (the norms are F32)."""
    work: str
    reports: list[dict] = field(default_factory=list)

    def __call__(self, index: int, statistics: BlockStatistics) -> bool:
        """Prunes the block in place and returns True (its weights changed)."""
        from safetensors.torch import load_file, save_file

        folder = os.path.join(self.work, f"block-{index}")
        os.makedirs(folder)
        weights = os.path.join(folder, "weights.safetensors")
        pruned = os.path.join(folder, "pruned.safetensors")
        hessians = os.path.join(folder, "hessians.safetensors")
        report = os.path.join(folder, "report.json")
        save_file({name: module.weight.detach().cpu().contiguous()
                   for name, module in statistics.modules.items()}, weights)
        save_statistics(hessians, statistics.hessians, statistics.shared, statistics.tokens,
                        self.dtype)
        arguments = [self.bonsai, "prune", weights, "-o", pruned, "--hessians", hessians,
                     "--report", report, "--quiet", *self.options]
        if _metric(self.options) == "wanda":
            norms = os.path.join(folder, "norms.safetensors")
            save_statistics(norms, statistics.norms(), {}, statistics.tokens, torch.float32)
            arguments += ["--activations", norms]
        try:
            result = subprocess.run(arguments, capture_output=True, text=True)
        except OSError as error:
            raise CalibrationError(f"cannot run {self.bonsai}: {error.strerror}") from None
        if result.returncode != 0:
            message = result.stderr.strip().splitlines()
            raise CalibrationError(f"bonsai prune failed on block {index}: "
                                   f"{message[-1] if message else f'exit {result.returncode}'}")
        for name, tensor in load_file(pruned).items():
            module: nn.Linear = statistics.modules[name]
            module.weight.copy_(tensor.to(module.weight.device))
        with open(report, encoding="utf-8") as handle:
            self.reports.extend(json.load(handle)["tensors"])
        shutil.rmtree(folder)
        return True


def _metric(options: list[str]) -> str:
    """The `--metric` among bonsai's options (bonsai's default, l1, when absent)."""
    metric = "l1"
    for position, option in enumerate(options):
        if option == "--metric" and position + 1 < len(options):
            metric = options[position + 1]
        elif option.startswith("--metric="):
            metric = option.split("=", 1)[1]
    return metric


def work_folder(output: str) -> str:
    """A fresh folder next to OUTDIR for the run's temporary files."""
    parent, base = os.path.split(os.path.abspath(output))
    if os.path.exists(output):
        raise CalibrationError(f"{output} exists; choose a new output folder")
    if not os.path.isdir(parent):
        raise CalibrationError(f"no folder {parent} to write {base} into")
    return tempfile.mkdtemp(prefix=f".{base}.bonsai-calibrate-", dir=parent)


def save_folder(model: nn.Module, source: str, output: str, work: str) -> None:
    """`save_pretrained` into `work`, the source folder's other files copied beside, then the
    whole folder renamed to `output`."""
    staged = os.path.join(work, "model")
    model.save_pretrained(staged)
    for entry in sorted(os.listdir(source)):
        path = os.path.join(source, entry)
        target = os.path.join(staged, entry)
        if os.path.isfile(path) and not entry.endswith(_WEIGHT_FILES) and not os.path.exists(target):
            shutil.copy2(path, target)
    if os.path.exists(output):
        raise CalibrationError(f"{output} appeared while the model was pruned; not replaced")
    os.rename(staged, output)
