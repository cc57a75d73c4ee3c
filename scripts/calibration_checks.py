#!/usr/bin/env python3
"""bonsai-calibrate on a small random Llama built with transformers.

Usage: scripts/calibration_checks.py PATH/TO/bonsai

Checks that
  * the captured Hessians equal Σ x·xᵀ computed here independently: the whole model run
    once on a batch of every sample, with forward hooks on its linear layers, and for
    q_proj of block 0 from `output_hidden_states` through the block's input layer norm;
  * the file holds one [in, in] tensor per distinct input (q, o, gate, down per block),
    k and v name q's, up names gate's in `__metadata__`, `tokens` is samples × length; F32
    and F64 as asked; the norms file holds sqrt(diag H) for every weight;
  * `bonsai prune --metric sparsegpt --hessians` and `--metric wanda --activations` (F32 norms) read
    them on the model folder: exact sparsity, an output error for every pruned tensor;
  * a text file tokenised with the folder's tokenizer gives the Hessians of its token ids;
  * a missing model folder, a missing text, too few tokens, a folder without a tokenizer,
    an existing OUTDIR, `bonsai prune` refusing the options: one line, exit 1,
    nothing left behind;
  * `--sequential --prune OUTDIR` writes a folder that `from_pretrained` loads, with exactly
    half of every decoder linear weight zero, the tokenizer copied, block 0 calibrated as in one shot and block 1
    on the pruned block 0's outputs, nothing left beside OUTDIR.
Without torch or transformers the checks are skipped, and say why.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from checks import BONSAI, check, finish, run

PYTHON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python")
SAMPLES, LENGTH = 6, 24
SHARED = {"self_attn.k_proj": "self_attn.q_proj", "self_attn.v_proj": "self_attn.q_proj",
          "mlp.up_proj": "mlp.gate_proj"}
LINEAR = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
          "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")


def tiny_llama(folder: str, hidden: int = 64, intermediate: int = 128, layers: int = 2,
               seed: int = 0) -> None:
    """Saves a random LlamaForCausalLM (4 heads, 2 key-value heads, vocabulary 256)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(hidden_size=hidden, intermediate_size=intermediate,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         vocab_size=256, max_position_embeddings=256)
    LlamaForCausalLM(config).save_pretrained(folder)


def token_file(path: str, count: int, seed: int) -> list[int]:
    """Writes `count` random token ids (whitespace-separated) and returns them."""
    import random

    generator = random.Random(seed)
    ids = [generator.randrange(256) for _ in range(count)]
    with open(path, "w") as handle:
        handle.write(" ".join(map(str, ids)) + "\n")
    return ids


def calibrate(*args: str) -> subprocess.CompletedProcess:
    """Runs `python -m bonsai_calibrate ARGS…` from this checkout."""
    environment = {**os.environ, "PYTHONPATH": os.path.abspath(PYTHON)}
    return subprocess.run([sys.executable, "-m", "bonsai_calibrate", *args, "--quiet"],
                          capture_output=True, text=True, env=environment)


def reference_hessians(folder: str, ids: list[int]) -> dict:
    """Σ x·xᵀ (float64) per linear weight of the decoder blocks, from forward hooks on the
    whole model run on all samples as one batch."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    sums = {}

    def hook(name):
        def record(_module, inputs, _output):
            x = inputs[0].reshape(-1, inputs[0].shape[-1]).double()
            sums[name] = sums.get(name, 0) + x.T @ x
        return record

    for name, module in model.model.layers.named_modules():
        if isinstance(module, torch.nn.Linear):
            module.register_forward_hook(hook(f"model.layers.{name}.weight"))
    batch = torch.tensor(ids[:SAMPLES * LENGTH]).view(SAMPLES, LENGTH)
    with torch.no_grad():
        states = model(batch, output_hidden_states=True, use_cache=False).hidden_states
        x = model.model.layers[0].input_layernorm(states[0]).reshape(-1, 64).double()
    sums["from hidden states"] = x.T @ x
    return sums


def relative_difference(a, b) -> float:
    """max |a − b| / max |b|."""
    return float((a.double() - b.double()).abs().max() / b.double().abs().max())


def check_capture(work: str, folder: str, ids: list[int]) -> str:
    """The capture against the reference; returns the F64 Hessians file."""
    from safetensors import safe_open

    hessians, norms = os.path.join(work, "h64.safetensors"), os.path.join(work, "n.safetensors")
    ids_file = os.path.join(work, "ids.txt")
    result = calibrate(folder, "--token-ids", ids_file, "--samples", str(SAMPLES), "--length",
                       str(LENGTH), "--hessians", hessians, "--norms", norms, "--dtype", "f64")
    check(result.returncode == 0, f"capture runs: {result.stderr.strip()}")
    reference = reference_hessians(folder, ids)
    with safe_open(hessians, "pt") as stored:
        metadata = stored.metadata()
        names = set(stored.keys())
        expected = {f"model.layers.{layer}.{module}.weight" for layer in range(2)
                    for module in LINEAR if module not in SHARED}
        check(names == expected, f"one Hessian per distinct input: {sorted(names)}")
        check(metadata.get("tokens") == str(SAMPLES * LENGTH), f"token count: {metadata}")
        for layer in range(2):
            for module, owner in SHARED.items():
                name = f"model.layers.{layer}.{module}.weight"
                check(metadata.get(name) == f"model.layers.{layer}.{owner}.weight",
                      f"{name} shares {owner}'s Hessian")
        for name in sorted(names):
            tensor = stored.get_tensor(name)
            check(str(tensor.dtype) == "torch.float64", f"{name} F64")
            size = 128 if "down_proj" in name else 64
            check(tuple(tensor.shape) == (size, size), f"{name} [in, in]: {tuple(tensor.shape)}")
            check(relative_difference(tensor, reference[name]) < 1e-5,
                  f"{name} equals the hooks' Σ x·xᵀ: {relative_difference(tensor, reference[name]):.2e}")
            for module, owner in SHARED.items():
                if name.endswith(f"{owner}.weight"):
                    other = name.replace(owner, module)
                    check(relative_difference(tensor, reference[other]) < 1e-5,
                          f"{other}'s own input gives the shared Hessian")
        q0 = stored.get_tensor("model.layers.0.self_attn.q_proj.weight")
        check(relative_difference(q0, reference["from hidden states"]) < 1e-5,
              "q_proj of block 0 equals Σ x·xᵀ of input_layernorm(hidden_states[0])")
        with safe_open(norms, "pt") as stored_norms:
            check(len(stored_norms.keys()) == 14, f"a norm for every weight: {len(stored_norms.keys())}")
            for layer in range(2):
                for module in LINEAR:
                    name = f"model.layers.{layer}.{module}.weight"
                    owner = name.replace(module, SHARED.get(module, module))
                    norm = stored_norms.get_tensor(name)
                    check(relative_difference(norm, stored.get_tensor(owner).diagonal().sqrt()) < 1e-6,
                          f"{name}: norms = sqrt(diag H)")
    single = os.path.join(work, "h32.safetensors")
    result = calibrate(folder, "--token-ids", ids_file, "--samples", str(SAMPLES), "--length",
                       str(LENGTH), "--hessians", single)
    with safe_open(single, "pt") as stored:
        check(result.returncode == 0 and all(str(stored.get_tensor(name).dtype) == "torch.float32"
                                             for name in stored.keys()), "--dtype f32 (default) writes F32")
    return hessians


def check_prune(work: str, folder: str, hessians: str) -> None:
    """bonsai prune reads the captured files on the folder: exact sparsity, output errors."""
    from safetensors.numpy import load_file

    for name, extra in (("sgpt", ["--metric", "sparsegpt", "--hessians", hessians]),
                        ("wanda", ["--metric", "wanda", "--per-row", "--activations",
                                   os.path.join(work, "n.safetensors"), "--hessians", hessians])):
        output, report = os.path.join(work, name), os.path.join(work, f"{name}.json")
        run("prune", folder, "-o", output, "--sparsity", "0.5", "--report", report, "--quiet", *extra)
        pruned = [entry for entry in json.load(open(report))["tensors"] if entry["pruned"]]
        check(len(pruned) == 14 and all("relative_output_error" in entry for entry in pruned),
              f"{name}: 14 tensors pruned, each with its output error")
        weights = load_file(os.path.join(output, "model.safetensors"))
        for entry in pruned:
            zeros = int((weights[entry["name"]] == 0).sum())
            check(zeros == weights[entry["name"]].size // 2, f"{name}: {entry['name']} exactly 50 % zero")


def check_errors(work: str, folder: str) -> None:
    """One line and exit 1 for each user error."""
    ids_file = os.path.join(work, "ids.txt")
    text = os.path.join(work, "text.txt")
    with open(text, "w") as handle:
        handle.write("Some calibration text.\n")
    out = os.path.join(work, "unused.safetensors")
    cases = {
        "missing model folder": ([os.path.join(work, "nowhere"), "--token-ids", ids_file], "no model folder"),
        "missing text": ([folder, "--text", os.path.join(work, "missing.txt")], "no calibration text"),
        "too few tokens": ([folder, "--token-ids", ids_file, "--samples", "1000"], "need"),
        "no tokenizer": ([folder, "--text", text], "no usable tokenizer"),
        "existing OUTDIR": ([folder, "--token-ids", ids_file, "--sequential", "--prune", folder,
                             "--bonsai", BONSAI], "exists"),
        "bonsai prune failing": ([folder, "--token-ids", ids_file, "--samples", "2", "--sequential",
                                  "--prune", os.path.join(work, "refused"), "--bonsai", BONSAI,
                                  "--metric", "sparsegpt", "--granularity", "rows"],
                                 "bonsai prune failed on block 0"),
    }
    for what, (args, words) in cases.items():
        result = calibrate(*args, "--hessians", out, "--length", str(LENGTH))
        lines = result.stderr.strip().splitlines()
        check(result.returncode == 1 and len(lines) == 1 and words in lines[0],
              f"{what}: one line, exit 1 ({result.returncode}: {result.stderr.strip()})")
    check(not os.path.exists(out) and not [entry for entry in os.listdir(work) if "refused" in entry],
          "nothing written on error, no work folder left")


def with_tokenizer(work: str, folder: str, ids: list[int]) -> tuple[str, str]:
    """A copy of `folder` with a word-level tokenizer (token i is the word `wi`), and a text
    file that it tokenises to `ids`."""
    import shutil

    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    named = os.path.join(work, "llama-with-tokenizer")
    shutil.copytree(folder, named)
    tokenizer = Tokenizer(models.WordLevel({f"w{i}": i for i in range(256)}, unk_token="w0"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="w0").save_pretrained(named)
    text = os.path.join(work, "words.txt")
    with open(text, "w") as handle:
        handle.write(" ".join(f"w{i}" for i in ids) + "\n")
    return named, text


def check_text(work: str, named: str, text: str, hessians: str) -> None:
    """--text through the folder's tokenizer gives the Hessians of the same --token-ids."""
    from safetensors import safe_open

    from_text = os.path.join(work, "htext.safetensors")
    result = calibrate(named, "--text", text, "--samples", str(SAMPLES), "--length", str(LENGTH),
                       "--hessians", from_text, "--dtype", "f64")
    check(result.returncode == 0, f"capture from text runs: {result.stderr.strip()}")
    with safe_open(from_text, "pt") as words, safe_open(hessians, "pt") as ids:
        check(all(bool((words.get_tensor(name) == ids.get_tensor(name)).all()) for name in ids.keys()),
              "text tokenised by the folder's tokenizer = the same token ids")


def check_sequential(work: str, folder: str, text: str, oneshot: str) -> None:
    """--sequential --prune: a loadable folder, 50 % in every block, block 1 re-calibrated."""
    import torch
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM

    output, hessians = os.path.join(work, "sequential"), os.path.join(work, "hseq.safetensors")
    result = calibrate(folder, "--text", text, "--samples",
                       str(SAMPLES), "--length", str(LENGTH), "--hessians", hessians, "--dtype",
                       "f64", "--sequential", "--prune", output, "--bonsai", BONSAI,
                       "--metric", "sparsegpt", "--sparsity", "0.5")
    check(result.returncode == 0 and "14 tensors pruned" in result.stdout,
          f"sequential runs: {result.stdout.strip()} {result.stderr.strip()}")
    model = AutoModelForCausalLM.from_pretrained(output)
    check(os.path.isfile(os.path.join(output, "tokenizer.json")), "the tokenizer is copied to OUTDIR")
    for name, module in model.model.layers.named_modules():
        if isinstance(module, torch.nn.Linear):
            zeros = int((module.weight == 0).sum())
            check(zeros == module.weight.numel() // 2, f"sequential: {name} exactly 50 % zero ({zeros})")
    check(sorted(os.listdir(work)).count("sequential") == 1 and
          not [entry for entry in os.listdir(work) if entry.startswith(".sequential")],
          f"nothing left beside OUTDIR: {os.listdir(work)}")
    with safe_open(hessians, "pt") as sequential, safe_open(oneshot, "pt") as first:
        name = "model.layers.{}.self_attn.q_proj.weight"
        check(relative_difference(sequential.get_tensor(name.format(0)), first.get_tensor(name.format(0))) < 1e-12,
              "block 0 sees the dense inputs")
        check(relative_difference(sequential.get_tensor(name.format(1)), first.get_tensor(name.format(1))) > 1e-3,
              "block 1 sees the pruned block 0's outputs")


def main() -> None:
    """Runs every check, or prints why they are skipped."""
    try:
        import safetensors  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as error:
        print(f"calibration: SKIPPED: {error} (scripts/setup --transformers installs torch and transformers)")
        sys.exit(0)
    from transformers.utils import logging

    logging.disable_progress_bar()
    with tempfile.TemporaryDirectory() as work:
        folder = os.path.join(work, "llama")
        tiny_llama(folder)
        ids = token_file(os.path.join(work, "ids.txt"), SAMPLES * LENGTH + 7, seed=1)
        hessians = check_capture(work, folder, ids)
        check_prune(work, folder, hessians)
        check_errors(work, folder)
        named, text = with_tokenizer(work, folder, ids)
        check_text(work, named, text, hessians)
        check_sequential(work, named, text, hessians)
    finish("calibration")


if __name__ == "__main__":
    main()
