"""Capture: calibration tokens through a causal LM's decoder blocks, one block at a time.

The inputs of block 0 are caught by a forward pre-hook on it (the model's embeddings and
whatever it computes before its first block run as transformers wrote them); then each block
runs on the caught inputs with forward pre-hooks on every `nn.Linear` inside it, which add
X·Xᵀ (float64) to that weight's Hessian, and its outputs are the next block's inputs. Weights
whose layer reads the very same input tensor (q, k and v; gate and up) get one Hessian, that
of the first of them, and the others name it: the sharing Bonsai's `__metadata__` rule
expresses. One-shot capture walks every block unchanged; the sequential mode prunes each
block before computing its outputs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch
from torch import nn

from bonsai_calibrate import CalibrationError


@dataclass
class BlockStatistics:
    """What one decoder block's linear layers read: Hessians named as the weights."""

    modules: dict[str, nn.Linear] = field(default_factory=dict)
    """Every linear layer of the block, by weight name (`model.layers.0.mlp.up_proj.weight`)."""
    hessians: dict[str, torch.Tensor] = field(default_factory=dict)
    """Σ x·xᵀ (float64), one per distinct input, by the name of the first weight reading it."""
    shared: dict[str, str] = field(default_factory=dict)
    """Weight name → the weight name whose Hessian it shares."""
    tokens: int = 0

    def norms(self) -> dict[str, torch.Tensor]:
        """‖X_j‖₂ = sqrt(diag H) (Wanda's input norms) for every weight, shared or not: small,
        and `bonsai prune --metric wanda` reads them by the weight's own name."""
        roots = {name: h.diagonal().sqrt() for name, h in self.hessians.items()}
        return {**{name: roots[owner].clone() for name, owner in self.shared.items()}, **roots}


Inputs = list[tuple[tuple[Any, ...], dict[str, Any]]]
"""The positional and keyword arguments of a block's call, one entry per sample."""


class _Caught(Exception):
    """Stops the model's forward pass once block 0's inputs are caught."""


def require_model_folder(folder: str) -> None:
    """A `CalibrationError` unless `folder` is a folder with a config.json."""
    if not os.path.isdir(folder):
        raise CalibrationError(f"no model folder at {folder}")
    if not os.path.isfile(os.path.join(folder, "config.json")):
        raise CalibrationError(f"{folder} has no config.json: not a Hugging Face model folder")


def load_model(folder: str) -> nn.Module:
    """The causal LM of `folder` in its own dtype, on the GPU when there is one, in eval mode."""
    require_model_folder(folder)
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype="auto")
    model.to("cuda" if torch.cuda.is_available() else "cpu")
    model.eval()
    return model


def calibration_ids(folder: str, text: Optional[str], token_ids: Optional[str],
                    samples: int, length: int) -> torch.Tensor:
    """`samples` × `length` consecutive token ids, from a text file tokenised with the folder's
    tokenizer or from a file of whitespace-separated integers."""
    source = token_ids if token_ids is not None else text
    assert source is not None
    if not os.path.isfile(source):
        raise CalibrationError(f"no calibration {'token ids' if token_ids else 'text'} at {source}")
    with open(source, encoding="utf-8") as handle:
        content = handle.read()
    if token_ids is not None:
        try:
            ids = [int(word) for word in content.split()]
        except ValueError as error:
            raise CalibrationError(f"{source}: not whitespace-separated integers ({error})") from None
    else:
        ids = _tokenizer(folder)(content, add_special_tokens=False)["input_ids"]
    needed = samples * length
    if len(ids) < needed:
        raise CalibrationError(f"{source} gives {len(ids)} tokens; {samples} samples of {length} "
                               f"tokens need {needed}")
    return torch.tensor(ids[:needed], dtype=torch.long).view(samples, length)


def _tokenizer(folder: str) -> Callable[..., Any]:
    """The folder's tokenizer, or a `CalibrationError` saying to pass `--token-ids`."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError, TypeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CalibrationError(f"{folder} has no usable tokenizer ({first}); give --token-ids "
                               "FILE with the token ids instead") from None


def decoder_blocks(model: nn.Module) -> tuple[str, nn.ModuleList]:
    """The model's list of decoder blocks and its module name (`model.layers` for Llama)."""
    for name, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and name.rsplit(".", 1)[-1] in ("layers", "h", "blocks"):
            return name, module
    raise CalibrationError(f"{type(model).__name__}: no list of decoder blocks found "
                           "(a module list named layers, h or blocks)")


def walk(model: nn.Module, ids: torch.Tensor,
         visit: Callable[[int, BlockStatistics], bool],
         progress: Callable[[str], None]) -> None:
    """Runs `ids` ([samples, length]) through the decoder blocks one after another; `visit`
    gets each block's statistics and returns True when it changed the block's weights, which
    then computes the next block's inputs with its new weights."""
    prefix, blocks = decoder_blocks(model)
    device = next(model.parameters()).device
    with torch.no_grad():
        inputs = _first_block_inputs(model, blocks[0], ids.to(device))
        for index, block in enumerate(blocks):
            statistics, outputs = _run_hooked(block, f"{prefix}.{index}.", inputs)
            if not statistics.hessians:
                raise CalibrationError(f"{prefix}.{index} has no nn.Linear layer that runs "
                                       "(GPT-2's Conv1D layers are not captured)")
            if visit(index, statistics):
                outputs = [_hidden(block(*args, **kwargs)) for args, kwargs in inputs]
            inputs = [_with_hidden(args, kwargs, hidden)
                      for (args, kwargs), hidden in zip(inputs, outputs)]
            progress(f"{prefix}.{index}")


def _first_block_inputs(model: nn.Module, first: nn.Module, ids: torch.Tensor) -> Inputs:
    """The arguments block 0 is called with, per sample, caught by a pre-hook on it."""
    caught: Inputs = []

    def catch(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        caught.append((args, kwargs))
        raise _Caught

    handle = first.register_forward_pre_hook(catch, with_kwargs=True)
    try:
        for sample in ids:
            try:
                model(sample.unsqueeze(0), use_cache=False)
            except _Caught:
                pass
    finally:
        handle.remove()
    return caught


def _run_hooked(block: nn.Module, prefix: str, inputs: Inputs) -> tuple[BlockStatistics, list[torch.Tensor]]:
    """Runs the block on every sample, accumulating its linear layers' Hessians."""
    statistics = BlockStatistics()
    seen: list[tuple[torch.Tensor, str]] = []  # this call's inputs (kept alive: `is` is safe)

    def accumulate(name: str) -> Callable[..., None]:
        def hook(_module: nn.Module, args: tuple[Any, ...]) -> None:
            x = args[0]
            owner = next((first for tensor, first in seen if tensor is x), None)
            if owner is not None:
                statistics.shared[name] = owner
                return
            seen.append((x, name))
            rows = x.reshape(-1, x.shape[-1]).to(torch.float64)
            if name not in statistics.hessians:
                statistics.hessians[name] = torch.zeros(x.shape[-1], x.shape[-1],
                                                        dtype=torch.float64, device=x.device)
            statistics.hessians[name].addmm_(rows.T, rows)
        return hook

    handles = []
    for module_name, module in block.named_modules():
        if isinstance(module, nn.Linear):
            name = f"{prefix}{module_name}.weight"
            statistics.modules[name] = module
            handles.append(module.register_forward_pre_hook(accumulate(name)))
    outputs = []
    try:
        for args, kwargs in inputs:
            seen.clear()
            hidden = _hidden(block(*args, **kwargs))
            statistics.tokens += hidden.shape[0] * hidden.shape[1]
            outputs.append(hidden)
    finally:
        seen.clear()
        for handle in handles:
            handle.remove()
    return statistics, outputs


def _hidden(output: Any) -> torch.Tensor:
    """A block's output hidden states (transformers returns them alone or first in a tuple)."""
    return output[0] if isinstance(output, tuple) else output


def _with_hidden(args: tuple[Any, ...], kwargs: dict[str, Any],
                 hidden: torch.Tensor) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The same call's arguments with new hidden states."""
    if args:
        return (hidden, *args[1:]), kwargs
    return args, {**kwargs, "hidden_states": hidden}


def save_statistics(path: str, tensors: dict[str, torch.Tensor], shared: dict[str, str],
                    tokens: int, dtype: torch.dtype) -> None:
    """Writes `tensors` (as `dtype`, on the CPU) to a safetensors file with `shared` and the
    token count (`tokens`) in its `__metadata__`, through a temporary file renamed into place."""
    from safetensors.torch import save_file

    directory, base = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f".{base}.bonsai-calibrate-tmp-{os.getpid()}")
    try:
        save_file({name: tensor.to(device="cpu", dtype=dtype).contiguous()
                   for name, tensor in tensors.items()},
                  temporary, metadata={**shared, "tokens": str(tokens)})
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
