#!/usr/bin/env python3
"""`bonsai-ray prune` on a local Ray cluster against `bonsai prune` on one machine.

Usage: scripts/ray_checks.py PATH/TO/bonsai

On a sharded model folder built with numpy + safetensors — shards holding tensors out of
name order, tensors larger than one selection chunk, weights of a few values so that the
global cut falls among ties spread over several tensors — checks that
  * per-tensor (l1, rows by l2, Wanda with activations), 2:4, compacted rows (config.json
    rewritten), global (l1, and random, whose
    scores depend on each tensor's place in the ranking), --pair groups whose members lie in
    different shards, and --report (one task) give
    OUTDIR byte for byte as `bonsai prune` writes it;
  * a BF16 Llama saved by transformers in a dozen shards (when torch is there) too;
  * a worker killed in the middle of the pruning tasks is retried: the run succeeds, with
    the same bytes;
  * a missing shard, an unreachable `bonsai`, an existing OUTDIR fail with a clear message,
    leaving nothing under OUTDIR and no work folder beside it;
  * `python -m bonsai_ray`, joining a running cluster with --address or starting its own
    local cluster, does the same as in-process runs.

The Ray cluster of the in-process runs is started here (`ray.init(num_cpus=2)`: two worker
processes) and shared by them.
"""
import contextlib
import filecmp
import io
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from safetensors.numpy import save_file

from checks import BONSAI, check, finish, run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from bonsai_ray import cli, tasks  # noqa: E402

PAIR = r"(.*)\.mlp\.up_proj\.weight->$1.mlp.down_proj.weight"


def write_folder(folder):
    """Three shards, tensors out of name order across them, an index, config and README."""
    rng = np.random.default_rng(14)

    def draw(*shape, dtype=np.float32):
        return (rng.integers(-8, 9, size=shape) / 4).astype(dtype)
    shards = [
        {"model.layers.2.mlp.up_proj.weight": draw(256, 384),
         "model.layers.0.mlp.down_proj.weight": draw(64, 256, dtype=np.float16)},
        {"model.layers.1.mlp.up_proj.weight": draw(256, 64, dtype=np.float16),
         "model.layers.1.mlp.down_proj.weight": draw(64, 256),
         "model.layers.1.norm.weight": np.ones(64, np.float32)},
        {"model.layers.0.mlp.up_proj.weight": draw(256, 64),
         "model.layers.2.mlp.down_proj.weight": draw(384, 256, dtype=np.float16),
         "model.embed_tokens.weight": draw(100, 64)},
    ]
    os.makedirs(folder)
    weight_map = {}
    for index, tensors in enumerate(shards):
        name = f"model-{index + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(tensors, os.path.join(folder, name), metadata={"format": "pt"})
        weight_map.update({tensor: name for tensor in tensors})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as file:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, file, indent=2)
    with open(os.path.join(folder, "config.json"), "w") as file:
        json.dump({"hidden_size": 64, "intermediate_size": 256}, file)
    with open(os.path.join(folder, "README.md"), "w") as file:
        file.write("# a model\n")
    activations = {name: rng.uniform(0.5, 2, size=tensor.shape[1]).astype(np.float32)
                   for tensors in shards for name, tensor in tensors.items() if tensor.ndim == 2}
    save_file(activations, os.path.join(os.path.dirname(folder), "activations.safetensors"))


def same_folders(a, b):
    """Whether two folders hold the same file names with the same bytes."""
    comparison = filecmp.dircmp(a, b)
    if comparison.left_only or comparison.right_only or comparison.funny_files:
        return False
    return all(filecmp.cmp(os.path.join(a, name), os.path.join(b, name), shallow=False)
               for name in comparison.common_files)


def ray_prune(*arguments):
    """Runs `bonsai-ray prune ARGUMENTS…` in this process; returns (exit status, stderr)."""
    stderr = io.StringIO()
    status = 0
    with contextlib.redirect_stderr(stderr):
        try:
            cli.main(["prune", "--bonsai", BONSAI, *arguments])
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 1
            if isinstance(exit.code, str):
                print(exit.code, file=stderr)
    return status, stderr.getvalue()


def leftovers(work):
    """Work or temporary folders left next to the outputs."""
    return [name for name in os.listdir(work) if ".bonsai-" in name]


def check_same_bits(work, folder):
    for label, options in [
        ("l1 per tensor", ["--sparsity", "0.5"]),
        ("l2 rows", ["--granularity", "rows", "--metric", "l2", "--sparsity", "0.3"]),
        ("wanda per row", ["--metric", "wanda", "--per-row", "--activations",
                           os.path.join(work, "activations.safetensors")]),
        ("2:4", ["--granularity", "2:4"]),
        ("compact rows", ["--granularity", "rows", "--include", "up_proj", "--compact",
                          "--sparsity", "0.25", "--allow-uneven"]),
        ("global l1", ["--scope", "global", "--sparsity", "0.6"]),
        ("global random", ["--scope", "global", "--metric", "random", "--seed", "3"]),
        ("--pair across shards", ["--pair", PAIR, "--sparsity", "0.25"]),
        ("--pair compacted, --report (one task)",
         ["--pair", PAIR, "--granularity", "rows", "--compact", "--sparsity", "0.25",
          "--report", os.path.join(work, "report.json")]),
    ]:
        expected = os.path.join(work, "expected")
        output = os.path.join(work, "output")
        run("prune", folder, "-o", expected, "--quiet", *options)
        started = time.time()
        status, stderr = ray_prune(folder, "-o", output, "--quiet", *options)
        check(status == 0, f"{label}: bonsai-ray succeeds ({stderr.strip()[-300:]})")
        check(status == 0 and same_folders(expected, output),
              f"{label}: OUTDIR byte for byte as bonsai prune's ({time.time() - started:.1f} s)")
        check(not leftovers(work), f"{label}: no work folder left")
        subprocess.run(["rm", "-rf", expected, output], check=True)


def check_llama(work):
    """A BF16 Llama that transformers saved in many shards (skipped without torch)."""
    try:
        import torch
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError as error:
        print(f"ray_checks: SKIPPED the transformers Llama check: {error} "
              "(scripts/setup --transformers installs torch and transformers)")
        return
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=128, intermediate_size=344, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, vocab_size=500)
    folder = os.path.join(work, "llama")
    LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(folder, max_shard_size="200KB")
    shards = [name for name in os.listdir(folder) if name.endswith(".safetensors")]
    pair = r"(.*)\.mlp\.(up|gate)_proj\.weight->$1.mlp.down_proj.weight"
    for label, options in [
        ("global", ["--scope", "global", "--sparsity", "0.5"]),
        ("2:4", ["--granularity", "2:4"]),
        ("paired MLP channels compacted", ["--pair", pair, "--granularity", "rows", "--compact",
                                           "--include", "mlp", "--sparsity", "0.25"]),
    ]:
        expected = os.path.join(work, "expected")
        output = os.path.join(work, "output")
        run("prune", folder, "-o", expected, "--quiet", *options)
        status, stderr = ray_prune(folder, "-o", output, "--quiet", *options)
        check(status == 0 and same_folders(expected, output),
              f"Llama in {len(shards)} BF16 shards, {label}: the same bytes ({stderr.strip()[-300:]})")
        subprocess.run(["rm", "-rf", expected, output], check=True)


def check_killed_worker(work, folder):
    marker = os.environ[tasks.KILL_ONCE_VARIABLE]
    open(marker, "w").close()
    expected = os.path.join(work, "expected")
    output = os.path.join(work, "output")
    options = ["--scope", "global", "--sparsity", "0.7"]
    run("prune", folder, "-o", expected, "--quiet", *options)
    status, stderr = ray_prune(folder, "-o", output, "--quiet", *options)
    check(not os.path.exists(marker), "killed worker: a pruning task killed its worker")
    check(status == 0, f"killed worker: Ray retried the task and the run succeeds ({stderr.strip()[-300:]})")
    check(status == 0 and same_folders(expected, output), "killed worker: the same bytes")
    check(not leftovers(work), "killed worker: no work folder left")
    subprocess.run(["rm", "-rf", expected, output], check=True)


def check_bad_input(work, folder):
    output = os.path.join(work, "output")
    broken = os.path.join(work, "broken")
    subprocess.run(["cp", "-r", folder, broken], check=True)
    os.remove(os.path.join(broken, "model-00002-of-00003.safetensors"))
    status, stderr = ray_prune(broken, "-o", output)
    check(status != 0 and "model-00002-of-00003.safetensors" in stderr,
          f"missing shard: fails naming the shard ({stderr.strip()[-200:]})")
    check(not os.path.exists(output) and not leftovers(work), "missing shard: nothing written")

    status, stderr = ray_prune(folder, "-o", output, "--bonsai", "/nonexistent/bonsai")
    check(status != 0 and "cannot run /nonexistent/bonsai" in stderr,
          f"unreachable bonsai: a clear message ({stderr.strip()[-200:]})")
    check(not os.path.exists(output) and not leftovers(work), "unreachable bonsai: nothing written")

    os.mkdir(output)
    status, stderr = ray_prune(folder, "-o", output)
    check(status == 64 and "exists" in stderr, f"existing OUTDIR: a usage error ({stderr.strip()[-200:]})")
    check(os.listdir(output) == [] and not leftovers(work), "existing OUTDIR: untouched")
    os.rmdir(output)


def check_command(work, folder, cluster):
    """The command as users run it, in a process of its own: joining the cluster at
    `cluster`, or with None, starting a local cluster of its own."""
    expected = os.path.join(work, "expected")
    output = os.path.join(work, "output")
    run("prune", folder, "-o", expected, "--quiet", "--granularity", "2:4")
    environment = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..", "python"))
    environment.pop(tasks.KILL_ONCE_VARIABLE)
    where = ["--address", cluster] if cluster else ["--num-cpus", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "bonsai_ray", "prune", folder, "-o", output, "--granularity", "2:4",
         "--bonsai", BONSAI, *where], capture_output=True, text=True, env=environment)
    check(result.returncode == 0 and same_folders(expected, output),
          f"python -m bonsai_ray {' '.join(where)}: the same bytes ({result.stderr.strip()[-300:]})")
    subprocess.run(["rm", "-rf", expected, output], check=True)


def main():
    import ray
    with tempfile.TemporaryDirectory() as work:
        folder = os.path.join(work, "model")
        write_folder(folder)
        # The workers inherit the environment of the cluster's start: the kill hook is armed
        # only while its marker file exists.
        os.environ[tasks.KILL_ONCE_VARIABLE] = os.path.join(work, "kill-once")
        started = time.time()
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING",
                 log_to_driver=False)
        print(f"ray_checks: local cluster up in {time.time() - started:.1f} s")
        try:
            check_same_bits(work, folder)
            check_llama(work)
            check_killed_worker(work, folder)
            check_bad_input(work, folder)
            check_command(work, folder, ray.get_runtime_context().gcs_address)
        finally:
            ray.shutdown()
        check_command(work, folder, None)
        print(f"ray_checks: {time.time() - started:.1f} s in all")
    finish("ray_checks")


if __name__ == "__main__":
    main()
