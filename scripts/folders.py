#!/usr/bin/env python3
"""Model folders through the built `bonsai` binary, against the Python reference.

Usage: scripts/folders.py PATH/TO/bonsai

Checks that
  * a folder laid out as transformers lays it out (shards written by safetensors.numpy
    with {"format": "pt"}, model.safetensors.index.json, config.json, tokenizer files, a
    sub-folder) prunes, for every method, to the same bits as the same tensors in one file
    written by the reference, and that the output folder has the same shards, a new
    total_size, a resized config.json after compaction, and every other file byte for byte;
  * a file whose header says "__metadata__": null, which the reference loads, reads;
  * where torch and transformers are importable: a small random Llama saved with
    save_pretrained(max_shard_size=...) prunes and compacts into folders that
    from_pretrained loads, and the compacted model computes what the zeroed model computes;
    the same BF16 model saved sharded and as one file prunes to the same bits; a BERT's
    MLP channels, biases included, compact and load the same way.
    Without them the check is skipped, and says why.
"""
import json
import os
import struct
import tempfile

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from checks import check, finish, run

PAIR = r"(.*)\.mlp\.(up|gate)_proj\.weight->$1.mlp.down_proj.weight"


def model_tensors(rng, layers=4, hidden=16, intermediate=48, vocabulary=32):
    """A Llama-shaped model; weights from a few values so that ranking ties are common."""
    def draw(*shape, dtype=np.float32):
        return (rng.integers(-4, 5, size=shape) / 4).astype(dtype)
    tensors = {"model.embed_tokens.weight": draw(vocabulary, hidden)}
    for layer in range(layers):
        prefix = f"model.layers.{layer}"
        dtype = np.float16 if layer % 2 else np.float32
        for projection in "qkvo":
            tensors[f"{prefix}.self_attn.{projection}_proj.weight"] = draw(hidden, hidden, dtype=dtype)
        tensors[f"{prefix}.mlp.gate_proj.weight"] = draw(intermediate, hidden, dtype=dtype)
        tensors[f"{prefix}.mlp.up_proj.weight"] = draw(intermediate, hidden, dtype=dtype)
        tensors[f"{prefix}.mlp.down_proj.weight"] = draw(hidden, intermediate, dtype=dtype)
        tensors[f"{prefix}.input_layernorm.weight"] = np.ones(hidden, np.float32)
    tensors["lm_head.weight"] = draw(vocabulary, hidden)
    return tensors


def write_folder(folder, tensors, shards):
    """Writes `tensors` as transformers does: shards in module order, the index, the rest."""
    os.makedirs(os.path.join(folder, "1_Pooling"))
    names = list(tensors)
    per_shard = -(-len(names) // shards)
    weight_map = {}
    for index in range(shards):
        shard = f"model-{index + 1:05d}-of-{shards:05d}.safetensors"
        members = names[index * per_shard:(index + 1) * per_shard]
        save_file({name: tensors[name] for name in members}, os.path.join(folder, shard),
                  metadata={"format": "pt"})
        weight_map.update({name: shard for name in members})
    index = {"metadata": {"total_size": sum(t.nbytes for t in tensors.values())},
             "weight_map": weight_map}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as file:
        json.dump(index, file, indent=2, sort_keys=True)
    config = {"architectures": ["LlamaForCausalLM"], "hidden_size": 16,
              "intermediate_size": 48, "num_hidden_layers": 4, "rms_norm_eps": 1e-06}
    with open(os.path.join(folder, "config.json"), "w") as file:
        json.dump(config, file, indent=2, sort_keys=True)
    for name, text in [("tokenizer.json", '{"model": {"vocab": {"a": 0}}}\n'),
                       ("tokenizer_config.json", '{"model_max_length": 64}\n'),
                       ("special_tokens_map.json", "{}\n"), ("README.md", "# model\n"),
                       ("1_Pooling/config.json", '{"pooling_mode_mean_tokens": true}\n')]:
        with open(os.path.join(folder, name), "w") as file:
            file.write(text)


def folder_tensors(folder):
    """Every tensor of a pruned folder, from the shards its index names."""
    with open(os.path.join(folder, "model.safetensors.index.json")) as file:
        index = json.load(file)
    tensors = {}
    for shard in sorted(set(index["weight_map"].values())):
        tensors.update(load_file(os.path.join(folder, shard)))
    return index, tensors


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def check_folders(work):
    rng = np.random.default_rng(7)
    tensors = model_tensors(rng)
    folder = os.path.join(work, "model")
    write_folder(folder, tensors, shards=3)
    single = os.path.join(work, "model.safetensors")
    save_file(tensors, single)  # the reference orders a file its own way
    norms = {name: rng.uniform(0.1, 2, t.shape[1]).astype(np.float32)
             for name, t in tensors.items() if t.ndim == 2}
    norms_path = os.path.join(work, "norms.safetensors")
    save_file(norms, norms_path)

    methods = {
        "per-tensor": ["--sparsity", "0.5"],
        "global": ["--scope", "global", "--sparsity", "0.6"],
        "pair-compact": ["--include", "mlp", "--granularity", "rows", "--sparsity", "0.25",
                         "--pair", PAIR, "--compact"],
        "2:4": ["--granularity", "2:4"],
        "wanda": ["--metric", "wanda", "--activations", norms_path, "--per-row"],
        "wanda-global": ["--metric", "wanda", "--activations", norms_path, "--scope", "global"],
    }
    for method, options in methods.items():
        output = os.path.join(work, f"out-{method}")
        run("prune", folder, "-o", output, "--quiet", *options)
        run("prune", single, "-o", output + ".safetensors", "--quiet", *options)
        index, pruned = folder_tensors(output)
        reference = load_file(output + ".safetensors")
        check(set(pruned) == set(reference), f"{method}: the same tensors")
        check(all(same_bits(pruned[name], reference[name]) for name in reference),
              f"{method}: a sharded folder gives the same bits as one file")
        check(index["weight_map"] == json.load(open(os.path.join(folder, "model.safetensors.index.json")))["weight_map"],
              f"{method}: weight_map unchanged")
        check(index["metadata"]["total_size"] == sum(t.nbytes for t in pruned.values()),
              f"{method}: total_size is the bytes written")
        for shard in sorted(set(index["weight_map"].values())):
            with safe_open(os.path.join(output, shard), "np") as original_order:
                with safe_open(os.path.join(folder, shard), "np") as source:
                    check(list(original_order.keys()) == list(source.keys()),
                          f"{method}/{shard}: the same tensors")
                    check(original_order.metadata().get("format") == "pt",
                          f"{method}/{shard}: format kept")
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                     "README.md", "1_Pooling/config.json"]:
            with open(os.path.join(folder, name), "rb") as a, open(os.path.join(output, name), "rb") as b:
                check(a.read() == b.read(), f"{method}: {name} copied byte for byte")
        config = json.load(open(os.path.join(output, "config.json")))
        expected = 36 if method == "pair-compact" else 48
        check(config["intermediate_size"] == expected, f"{method}: intermediate_size {expected}")
        check(config["rms_norm_eps"] == 1e-06, f"{method}: the rest of config.json kept")


def check_null_metadata(work):
    path = os.path.join(work, "null-metadata.safetensors")
    header = json.dumps({"__metadata__": None,
                         "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(header)) + header + np.array([1, 0], np.float32).tobytes())
    with safe_open(path, "np") as reference:
        check(reference.metadata() is None and list(reference.keys()) == ["w"],
              "the reference reads __metadata__: null as no metadata")
    report = json.loads(run("report", path, "--json"))
    check([t["name"] for t in report["tensors"]] == ["w"], "bonsai reads __metadata__: null")


def check_transformers(work):
    try:
        import torch
        import transformers
    except ImportError as error:
        print(f"folders: SKIPPED the transformers round trip: {error} "
              "(scripts/setup --transformers installs torch and transformers)")
        return
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=64, intermediate_size=256, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, vocab_size=128,
                         max_position_embeddings=64, tie_word_embeddings=False)
    source = os.path.join(work, "llama")
    LlamaForCausalLM(config).eval().save_pretrained(source, max_shard_size="300KB")
    shards = sorted(name for name in os.listdir(source) if name.endswith(".safetensors"))
    check(len(shards) > 2, f"save_pretrained wrote shards ({len(shards)})")
    options = ["--include", "mlp", "--granularity", "rows", "--metric", "l2",
               "--sparsity", "0.5", "--pair", PAIR, "--quiet"]
    run("prune", source, "-o", os.path.join(work, "zeroed"), *options)
    run("prune", source, "-o", os.path.join(work, "compacted"), *options, "--compact")
    check(sorted(n for n in os.listdir(os.path.join(work, "compacted")) if n.endswith(".safetensors")) == shards,
          "the compacted folder has the same shards")

    def load(name):
        return AutoModelForCausalLM.from_pretrained(os.path.join(work, name), dtype=torch.float32).eval()

    original, zeroed, compacted = load("llama"), load("zeroed"), load("compacted")
    check(compacted.config.intermediate_size == 128, "config.json says the compacted width")
    up = compacted.model.layers[0].mlp.up_proj.weight
    check(tuple(up.shape) == (128, 64), f"compacted up_proj loads as {tuple(up.shape)}")
    zero_rows = (zeroed.model.layers[0].mlp.up_proj.weight.abs().sum(dim=1) == 0).sum().item()
    check(zero_rows == 128, f"the zeroed model has 128 zero rows in up_proj ({zero_rows})")
    tokens = torch.randint(0, 128, (2, 24), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = {name: model(tokens).logits for name, model in
                  [("original", original), ("zeroed", zeroed), ("compacted", compacted)]}
    difference = (logits["compacted"] - logits["zeroed"]).abs().max().item()
    check(difference < 1e-4, f"the compacted model computes what the zeroed one does ({difference:.2e})")
    check((logits["original"] - logits["zeroed"]).abs().max().item() > 1e-3,
          "pruning changed what the model computes")
    print(f"folders: transformers {transformers.__version__} round trip, {len(shards)} shards, "
          f"max |compacted - zeroed| = {difference:.2e}")

    # A BERT encoder: channel groups with biases (the MLP's first layer's bias follows its
    # rows), compacted and loaded back.
    from transformers import BertConfig, BertModel
    bert = BertModel(BertConfig(hidden_size=64, intermediate_size=192, num_hidden_layers=3,
                                num_attention_heads=4, vocab_size=128)).eval()
    bert.save_pretrained(os.path.join(work, "bert"), max_shard_size="200KB")
    bert_options = ["--include", "intermediate", "--granularity", "rows", "--sparsity", "0.25",
                    "--pair", r"(.*)\.intermediate\.dense\.(weight|bias)->$1.output.dense.weight",
                    "--quiet"]
    run("prune", os.path.join(work, "bert"), "-o", os.path.join(work, "bert-zeroed"), *bert_options)
    run("prune", os.path.join(work, "bert"), "-o", os.path.join(work, "bert-compacted"),
        *bert_options, "--compact")
    zeroed_bert = BertModel.from_pretrained(os.path.join(work, "bert-zeroed")).eval()
    compacted_bert = BertModel.from_pretrained(os.path.join(work, "bert-compacted")).eval()
    check(compacted_bert.config.intermediate_size == 144, "BERT: config.json says 144 channels")
    with torch.no_grad():
        outputs = [model(tokens[:, :16]).last_hidden_state for model in (zeroed_bert, compacted_bert)]
    bert_difference = (outputs[0] - outputs[1]).abs().max().item()
    check(bert_difference < 1e-4, f"BERT: compacted computes what zeroed does ({bert_difference:.2e})")

    # The same BF16 model saved by transformers sharded and in one file prunes to the same
    # bits, for a global ranking too, and loads.
    from safetensors.torch import load_file as load_torch
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(os.path.join(work, "bf16-sharded"), max_shard_size="300KB")
    model.save_pretrained(os.path.join(work, "bf16-whole"))
    check(os.path.exists(os.path.join(work, "bf16-whole", "model.safetensors")),
          "save_pretrained wrote one model.safetensors")
    for method, extra in [("per-tensor", []), ("global", ["--scope", "global"]),
                          ("compact", ["--include", "mlp", "--granularity", "rows",
                                       "--pair", PAIR, "--compact"])]:
        pruned = {}
        for layout in ["bf16-sharded", "bf16-whole"]:
            output = os.path.join(work, f"{layout}-{method}")
            run("prune", os.path.join(work, layout), "-o", output, "--quiet", *extra)
            pruned[layout] = {}
            for name in os.listdir(output):
                if name.endswith(".safetensors"):
                    pruned[layout].update(load_torch(os.path.join(output, name)))
        sharded, whole = pruned["bf16-sharded"], pruned["bf16-whole"]
        check(set(sharded) == set(whole) and all(
            sharded[name].dtype == torch.bfloat16 and torch.equal(sharded[name].view(torch.int16), whole[name].view(torch.int16))
            for name in whole), f"bf16 {method}: sharded by transformers or not, the same bits")
        loaded = AutoModelForCausalLM.from_pretrained(
            os.path.join(work, f"bf16-sharded-{method}"), dtype=torch.bfloat16).eval()
        with torch.no_grad():
            check(torch.isfinite(loaded(tokens).logits.float()).all().item(),
                  f"bf16 {method}: the pruned folder loads and runs")


with tempfile.TemporaryDirectory() as work:
    check_folders(work)
    check_null_metadata(work)
    check_transformers(work)

finish("folders")
