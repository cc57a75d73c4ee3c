"""SparseGPT from Python: a layer's weights pruned with the Hessian of its inputs (or the
inputs themselves), the kept weights updated, through the C library's `bonsai_sparsegpt` —
the bits of `bonsai prune --metric sparsegpt` on the same data.

    import numpy as np, bonsai
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(256, 512)).astype(np.float32)    # [out, in]
    inputs = rng.normal(size=(1024, 512)).astype(np.float32)    # [tokens, in]
    result = bonsai.sparsegpt(weights, inputs=inputs, sparsity=0.5)
    result.weights, result.relative_output_error                 # weights itself is untouched
"""

import ctypes
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _clib
from .pruning import (_Callbacks, _dtype, _integer, _invalid, _lib, _name, _pattern, _raise,
                      _real)


@dataclass(frozen=True)
class SparseGPTResult:
    """What `sparsegpt` returns: the pruned `weights` (a new array or tensor of the input's
    kind, dtype and shape), `relative_output_error` sqrt(tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ)) (NaN
    when not measured), `kept` of `total` weights, and the kept bits when asked for."""
    weights: Any
    relative_output_error: float
    kept: int
    total: int
    mask: Optional[np.ndarray] = None


def _is_torch(value):
    return type(value).__module__.split(".")[0] == "torch"


def _as_numpy(value, what):
    """A numpy view (or copy) of an array or CPU torch tensor; bfloat16 tensors as their
    uint16 bits."""
    if _is_torch(value):
        import torch
        tensor = value.detach().cpu()
        if tensor.dtype == torch.bfloat16:
            return tensor.contiguous().view(torch.int16).numpy().view(np.uint16)
        return tensor.contiguous().numpy()
    if isinstance(value, np.ndarray):
        return value
    raise TypeError(f"bonsai.sparsegpt takes numpy arrays or torch tensors as {what}, "
                    f"not {type(value).__name__}")


def _as_input_kind(array, like):
    """`array` (the pruned copy) as the kind `like` was: a torch tensor of its dtype, or the
    numpy array itself."""
    if not _is_torch(like):
        return array
    import torch
    if like.dtype == torch.bfloat16:
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def _hessian(hessian, inputs):
    """bonsai_hessian for exactly one of `hessian` [in, in] (float32 or float64) and
    calibration `inputs` [tokens, in] (float32, float16, bfloat16), and the array it reads."""
    if (hessian is None) == (inputs is None):
        raise _invalid("give exactly one of hessian ([in, in]) and inputs ([tokens, in])")
    if hessian is not None:
        values = np.ascontiguousarray(_as_numpy(hessian, "hessian"))
        if values.dtype == np.float64:
            dtype = _clib.DTYPES["float64"]
        elif values.dtype == np.float32:
            dtype = _clib.DTYPES["float32"]
        else:
            raise TypeError(f"hessian must be float32 or float64, not {values.dtype}")
        if values.ndim != 2 or values.shape[0] != values.shape[1]:
            raise _invalid(f"hessian must be square [in, in], not of shape {values.shape}")
        kind = _clib.HESSIAN_KINDS["matrix"]
    else:
        values = np.ascontiguousarray(_as_numpy(inputs, "inputs"))
        dtype = _dtype(values)
        if values.ndim != 2:
            raise _invalid(f"inputs must be [tokens, in], not of shape {values.shape}")
        kind = _clib.HESSIAN_KINDS["inputs"]
    struct = _clib.Hessian(kind, dtype, values.ctypes.data_as(ctypes.c_void_p), values.shape[0])
    return struct, values


def _options(sparsity, pattern, per_row, min_nonzero, block_size, dampening, threads,
             output_error):
    options = _clib.SparseGPTOptions()
    _lib().bonsai_sparsegpt_options_init(ctypes.byref(options))
    if pattern is not None:
        if not isinstance(pattern, str):
            raise TypeError(f"pattern must be a str such as '2:4', not {type(pattern).__name__}")
        keep_group = _pattern(pattern, "pattern")
        if keep_group is None:
            raise _invalid(f"pattern {pattern!r} is not N:M, such as 2:4")
        if sparsity is not None:
            raise _invalid(f"sparsity {sparsity} cannot be combined with pattern {pattern}: "
                           "the pattern fixes the sparsity")
        options.keep, options.group = keep_group
        if keep_group[1] == 0:
            raise _invalid(f"N:M pattern {pattern} is invalid: M must be at least 1")
    if sparsity is not None:
        options.sparsity = _real(sparsity, "sparsity")
    options.per_row = 1 if per_row else 0
    options.measure_output_error = 1 if output_error else 0
    options.min_nonzero = _integer(min_nonzero, "min-nonzero")
    options.block_size = _integer(block_size, "block size")
    options.dampening = _real(dampening, "dampening")
    if threads is not None:
        threads = _integer(threads, "threads")
        if threads < 1:
            raise _invalid(f"threads {threads} must be at least 1")
        options.threads = threads
    return options


def sparsegpt(weights, *, hessian=None, inputs=None, sparsity=None, pattern=None,
              per_row=False, min_nonzero=1, block_size=128, dampening=0.01, threads=None,
              name=None, mask=False, output_error=True, progress=None, cancel=None):
    """Prunes a copy of `weights` ([out, in]; float32, float16 or bfloat16 — as uint16 bits
    or a dtype named "bfloat16" —, a numpy array or a CPU torch tensor) by SparseGPT and
    returns a `SparseGPTResult`; `weights` itself is untouched.

    Give the Hessian of the layer's inputs, `hessian` [in, in] (float32 or float64), or the
    calibration inputs themselves, `inputs` [tokens, in] (H = XᵀX is formed in double
    precision, as `bonsai prune --activations` does). `sparsity` in [0, 1) (default 0.5),
    or `pattern` "N:M" such as "2:4" (not both); `per_row` prunes each row's own count;
    `min_nonzero`, `block_size` (columns per block, a multiple of M) and `dampening` (the
    fraction of the mean diagonal of H added to it) are the command line's options.
    `output_error=False` skips measuring the relative output error (about twice the
    sweep's flops). The kept weights change: they are updated in float32 and, for 16-bit
    weights, rounded once to their dtype.

    `progress(fraction)` is called with the fraction of the columns swept and `cancel()`
    asked after each report, every few tens of milliseconds on a large layer; `cancel()`
    returning true stops the call (`CancelledError`). An exception raised in either stops
    the call and is re-raised as it was. Errors raise `BonsaiError` subclasses with the
    library's message (`InvalidHessianError` for the Hessian), TypeError for an argument of
    the wrong type.
    """
    array = _as_numpy(weights, "weights")
    copy = np.array(array, order="C", copy=True)
    dtype = _dtype(copy)
    if copy.ndim != 2:
        raise _invalid(f"SparseGPT prunes matrices [out, in], not an array of shape {copy.shape}")
    name = _name(name)
    options = _options(sparsity, pattern, per_row, min_nonzero, block_size, dampening, threads,
                       output_error)
    hessian_struct, _hessian_values = _hessian(hessian, inputs)
    callbacks = _Callbacks(progress, cancel)
    bits = np.zeros((copy.size + 7) // 8, dtype=np.uint8) if mask else None
    result = _clib.SparseGPTResult()
    error = _clib.Error()
    status = _lib().bonsai_sparsegpt(
        ctypes.byref(options), dtype, copy.ctypes.data_as(ctypes.c_void_p), copy.shape[0],
        copy.shape[1], name, ctypes.byref(hessian_struct), callbacks.pointer(),
        bits.ctypes.data_as(ctypes.c_void_p) if bits is not None else None,
        bits.size if bits is not None else 0, ctypes.byref(result), ctypes.byref(error))
    callbacks.raise_kept()
    if status != 0:
        _raise(error)
    return SparseGPTResult(_as_input_kind(copy, weights), result.relative_output_error,
                           result.kept_count, result.element_count, bits)
