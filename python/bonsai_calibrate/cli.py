"""The `bonsai-calibrate` command line.

    bonsai-calibrate MODEL (--text FILE | --token-ids FILE) [--samples 128] [--length 2048]
                     [--hessians OUT] [--norms OUT] [--dtype f32|f64]
                     [--sequential --prune OUTDIR [--bonsai PATH] [bonsai prune options…]]

Errors are one line on stderr and exit status 1; usage errors exit 2.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from typing import Optional

from bonsai_calibrate import CalibrationError
from bonsai_progress import Progress


def parser() -> argparse.ArgumentParser:
    """The options of `bonsai-calibrate`."""
    result = argparse.ArgumentParser(
        prog="bonsai-calibrate",
        description="Capture calibration statistics of a Hugging Face causal LM for bonsai prune: "
                    "per linear weight of the decoder blocks, the Hessian H = Σ x·xᵀ of its "
                    "inputs (--metric sparsegpt --hessians) and the input norms sqrt(diag H) "
                    "(--metric wanda --activations). With --sequential --prune OUTDIR, prune "
                    "block by block with bonsai, each block calibrated on the outputs of the "
                    "already-pruned blocks; any other option is passed to bonsai prune.")
    result.add_argument("model", help="a Hugging Face causal-LM folder (config.json + weights)")
    source = result.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="a UTF-8 text file, tokenised with the folder's tokenizer")
    source.add_argument("--token-ids", help="a file of whitespace-separated token ids")
    result.add_argument("--samples", type=int, default=128, help="calibration samples (default 128)")
    result.add_argument("--length", type=int, default=2048, help="tokens per sample (default 2048)")
    result.add_argument("--hessians", help="write the Hessians to this safetensors file")
    result.add_argument("--norms", help="write the input norms to this safetensors file")
    result.add_argument("--dtype", choices=("f32", "f64"), default="f32",
                        help="the dtype of the written Hessians (accumulated in f64; default f32); "
                             "norms are F32, as bonsai reads activations")
    result.add_argument("--sequential", action="store_true",
                        help="prune block by block with bonsai (needs --prune OUTDIR)")
    result.add_argument("--prune", metavar="OUTDIR", help="with --sequential: the pruned model folder")
    result.add_argument("--bonsai", help="the bonsai executable (default: bonsai on PATH)")
    result.add_argument("--quiet", action="store_true", help="no progress")
    return result


def main(argv: Optional[list[str]] = None) -> None:
    """Runs the command; exits 1 with one line on stderr on failure."""
    options, bonsai_options = parser().parse_known_args(argv)
    if options.sequential != (options.prune is not None):
        parser().error("--sequential and --prune OUTDIR go together")
    if bonsai_options and not options.sequential:
        parser().error(f"unrecognized arguments: {' '.join(bonsai_options)}")
    if not (options.hessians or options.norms or options.sequential):
        parser().error("nothing to write: give --hessians OUT, --norms OUT or --sequential --prune OUTDIR")
    if options.samples < 1 or options.length < 1:
        parser().error("--samples and --length must be at least 1")
    try:
        run(options, bonsai_options)
    except (CalibrationError, OSError) as error:
        print(f"bonsai-calibrate: {error}", file=sys.stderr)
        sys.exit(1)


def run(options: argparse.Namespace, bonsai_options: list[str]) -> None:
    """Captures (and with --sequential prunes) as `options` say."""
    import torch

    from bonsai_calibrate import capture, sequential

    capture.require_model_folder(options.model)
    bonsai = None
    if options.sequential:
        bonsai = options.bonsai or shutil.which("bonsai")
        if bonsai is None:
            raise CalibrationError("no bonsai executable on PATH; give --bonsai PATH")
    if options.quiet:
        from transformers.utils import logging
        logging.disable_progress_bar()
    dtype = torch.float32 if options.dtype == "f32" else torch.float64
    work = sequential.work_folder(options.prune) if options.sequential else None
    try:
        ids = capture.calibration_ids(options.model, options.text, options.token_ids,
                                      options.samples, options.length)
        model = capture.load_model(options.model)
        collected = capture.BlockStatistics()
        pruner = (sequential.BlockPruner(bonsai, bonsai_options, dtype, work)
                  if bonsai is not None and work is not None else None)

        keep = bool(options.hessians or options.norms)

        def visit(index: int, statistics: capture.BlockStatistics) -> bool:
            if keep:
                collected.hessians.update({name: h.to(device="cpu", dtype=dtype)
                                          for name, h in statistics.hessians.items()})
                collected.shared.update(statistics.shared)
                collected.tokens = statistics.tokens
            return pruner(index, statistics) if pruner is not None else False

        blocks = len(capture.decoder_blocks(model)[1])
        progress = Progress(blocks, options.quiet, "bonsai-calibrate", "block")
        try:
            capture.walk(model, ids, visit, progress.advance)
        finally:
            progress.close()
        if options.hessians:
            capture.save_statistics(options.hessians, collected.hessians, collected.shared,
                                    collected.tokens, dtype)
        if options.norms:
            capture.save_statistics(options.norms, collected.norms(), {}, collected.tokens,
                                    torch.float32)
        if pruner is not None and work is not None:
            sequential.save_folder(model, options.model, options.prune, work)
            errors = [entry["relative_output_error"] for entry in pruner.reports
                      if "relative_output_error" in entry]
            print(f"bonsai-calibrate: {len(errors)} tensors pruned block by block into "
                  f"{options.prune}; sum of relative output errors {sum(errors):.6f}")
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
