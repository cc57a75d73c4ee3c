"""Pruning numpy arrays with Bonsai's C library: the options of `bonsai prune`, the same
bits as the command line and the Swift library.

    import numpy as np, bonsai
    weights = np.random.default_rng(0).normal(size=(512, 512)).astype(np.float32)
    result = bonsai.prune(weights, sparsity=0.5, granularity="rows", metric="l2")
    result.kept, result.total        # weights is pruned in place

float32 and float16 arrays are pruned as they are; bfloat16 weights are given as their
uint16 bits (`tensor.view(torch.int16).numpy().view(np.uint16)`, or an array whose dtype is
named "bfloat16", such as ml_dtypes'). A PyTorch CPU tensor's `.numpy()` shares its memory,
so pruning it prunes the tensor.
"""

import ctypes
import numbers
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from . import _clib

_library = None


def _lib():
    global _library
    if _library is None:
        _library = _clib.load()
    return _library


class BonsaiError(Exception):
    """An error reported by the library: `status` is bonsai.h's code, the message its words."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class InvalidOptionError(BonsaiError, ValueError):
    """An option out of range or that does not combine with another (BONSAI_ERROR_INVALID_OPTION)."""


class InvalidShapeError(BonsaiError, ValueError):
    """A shape the granularity cannot take (BONSAI_ERROR_INVALID_SHAPE)."""


class InvalidScoresError(BonsaiError, ValueError):
    """Gradients, input norms or scores missing, unused or unfit (BONSAI_ERROR_INVALID_SCORES)."""


class NonFiniteWeightsError(BonsaiError, ValueError):
    """The weights hold NaN or ±Inf (BONSAI_ERROR_NON_FINITE_WEIGHTS)."""


class CancelledError(BonsaiError):
    """The cancel callback stopped the call; the weights are untouched (BONSAI_ERROR_CANCELLED)."""


class InvalidHessianError(BonsaiError, ValueError):
    """SparseGPT's Hessian or calibration inputs do not fit the weights, hold NaN or ±Inf,
    or are not positive semi-definite beyond what dampening repairs
    (BONSAI_ERROR_INVALID_HESSIAN)."""


_ERRORS = {2: InvalidOptionError, 3: InvalidShapeError, 4: InvalidScoresError,
           5: NonFiniteWeightsError, _clib.CANCELLED: CancelledError,
           _clib.INVALID_HESSIAN: InvalidHessianError}


@dataclass(frozen=True)
class PruneResult:
    """What one call did: `kept` of `total` weights survive; `mask` (when asked for) holds
    the kept bits, packed little-endian as `np.packbits(kept, bitorder="little")`."""
    kept: int
    total: int
    mask: Optional[np.ndarray] = None


def version():
    """The C library's version."""
    return _lib().bonsai_version().decode()


def _raise(error):
    message = error.message.decode("utf-8", "replace")
    raise _ERRORS.get(error.status, BonsaiError)(error.status, message)


def _invalid(message):
    return InvalidOptionError(2, message)


def _integer(value, option, low=-_clib.INT64_MAX - 1, high=_clib.INT64_MAX):
    """`value` as an int within the C type it crosses into, [low, high]: ctypes would keep
    only its low bits. TypeError for what is not an integer (bool included), the library's
    words (InvalidOptionError) for what is out of range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{option} must be an integer, not {type(value).__name__}")
    value = int(value)
    if value < low:
        raise _invalid(f"{option} {value} is negative" if low == 0 else
                       f"{option} {value} is below {low}, the smallest the library takes")
    if value > high:
        raise _invalid(f"{option} {value} is above {high}, the largest the library takes")
    return value


def _real(value, option):
    """`value` as a float; TypeError for what is not a real number (bool included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{option} must be a number, not {type(value).__name__}")
    return float(value)


def _name(name):
    """The tensor's name as C bytes, or None; TypeError for what is not a str."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    return name.encode()


def _pattern(text, option):
    """(keep, group) of an "N:M" text, each within int64; InvalidOptionError otherwise."""
    parts = text.split(":")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        return None
    return tuple(_integer(int(part), f"{option} {text}: {word}", 0)
                 for part, word in zip(parts, ("N", "M")))


class _Callbacks:
    """bonsai_callbacks over Python's `progress(fraction)` and `cancel()`.

    An exception raised in either is kept, the call is stopped at that checkpoint (the
    cancel the library asks next answers yes), and `raise_kept()` re-raises it — the
    original exception with its traceback — once the call has returned, instead of ctypes
    printing it as "Exception ignored"."""

    def __init__(self, progress, cancel):
        self.kept = None
        if progress is None and cancel is None:
            self.struct = None
            return

        def on_progress(fraction, _):
            if self.kept is None and progress is not None:
                try:
                    progress(fraction)
                except BaseException as error:  # noqa: B036 — re-raised by raise_kept
                    self.kept = error

        def on_cancel(_):
            if self.kept is None and cancel is not None:
                try:
                    return 1 if cancel() else 0
                except BaseException as error:  # noqa: B036 — re-raised by raise_kept
                    self.kept = error
            return 1 if self.kept is not None else 0

        self._progress = _clib.PROGRESS(on_progress)
        self._cancel = _clib.CANCEL(on_cancel)
        self.struct = _clib.Callbacks(self._progress, self._cancel, None)

    def pointer(self):
        return ctypes.byref(self.struct) if self.struct is not None else None

    def raise_kept(self):
        if self.kept is not None:
            error, self.kept = self.kept, None
            raise error


def _options(sparsity, metric, granularity, block_pooling, per_row, iterative, seed,
             min_nonzero, threads, has_gradients):
    """bonsai_options for the command line's options, checked as the command line checks
    what only it knows (names, and sparsity given with an N:M pattern)."""
    options = _clib.Options()
    _lib().bonsai_options_init(ctypes.byref(options))
    seed = _integer(seed, "seed", 0, _clib.UINT64_MAX)
    min_nonzero = _integer(min_nonzero, "min-nonzero")
    if threads is not None:
        threads = _integer(threads, "threads")
    if sparsity is not None:
        sparsity = _real(sparsity, "sparsity")
    for option, value in (("metric", metric), ("granularity", granularity),
                          ("block_pooling", block_pooling)):
        if not isinstance(value, str):
            raise TypeError(f"{option} must be a str, not {type(value).__name__}")
    if metric == "taylor" and not has_gradients:
        metric = "taylor-proxy"
    if metric not in _clib.METRICS or metric == "taylor-proxy" and has_gradients:
        raise _invalid(f"metric {metric!r} is not one of l1, l2, taylor, wanda, random, supplied")
    options.metric = _clib.METRICS[metric]
    if granularity in ("unstructured", "rows", "columns"):
        options.granularity = _clib.GRANULARITIES[granularity]
    elif granularity.startswith("block:"):
        sides = granularity[len("block:"):].split("x")
        if len(sides) != 2 or not all(side.isdigit() for side in sides):
            raise _invalid(f"granularity {granularity!r} is not block:RxC")
        options.granularity = _clib.GRANULARITIES["blocks"]
        options.block_rows, options.block_columns = (
            _integer(int(side), f"granularity {granularity}: {word}", 0)
            for side, word in zip(sides, ("R", "C")))
    else:
        pattern = _pattern(granularity, "granularity")
        if pattern is None:
            raise _invalid(
                f"granularity {granularity!r} is not unstructured, rows, columns, N:M or block:RxC")
        options.granularity = _clib.GRANULARITIES["n-of-m"]
        options.keep, options.group = pattern
        if sparsity is not None:
            raise _invalid(f"sparsity {sparsity} cannot be combined with granularity "
                           f"{granularity}: the pattern fixes the sparsity")
    if block_pooling not in _clib.POOLINGS:
        raise _invalid(f"block_pooling {block_pooling!r} is not mean or max")
    if iterative not in _clib.ITERATIVE:
        raise _invalid(f"iterative {iterative!r} is not None, 'total' or 'remaining'")
    if threads is not None and threads < 1:
        raise _invalid(f"threads {threads} must be at least 1")
    options.sparsity = 0.5 if sparsity is None else float(sparsity)
    options.block_pooling = _clib.POOLINGS[block_pooling]
    options.per_row = 1 if per_row else 0
    options.iterative = _clib.ITERATIVE[iterative]
    options.seed = seed
    options.min_nonzero = min_nonzero
    options.threads = threads or 0
    return options


def _dtype(array):
    if array.dtype == np.float32:
        return _clib.DTYPES["float32"]
    if array.dtype == np.float16:
        return _clib.DTYPES["float16"]
    if array.dtype == np.uint16 or (array.dtype.name == "bfloat16" and array.dtype.itemsize == 2):
        return _clib.DTYPES["bfloat16"]
    raise TypeError(f"bonsai prunes float32, float16 and bfloat16 (as uint16 bits), not {array.dtype}")


def _scores(gradients, activations, scores):
    given = [(kind, values) for kind, values in
             (("gradients", gradients), ("input_norms", activations), ("scores", scores))
             if values is not None]
    if len(given) > 1:
        raise _invalid("give at most one of gradients, activations and scores")
    if not given:
        return None, None
    kind, values = given[0]
    values = np.ascontiguousarray(values, dtype=np.float32)
    if kind == "input_norms" and values.ndim == 2:
        values = input_norms(values)
    elif kind == "input_norms" and values.ndim != 1:
        raise _invalid(f"activations must be input norms [in] or calibration inputs "
                       f"[samples, in], not an array of shape {values.shape}")
    pointer = values.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
    return _clib.Scores(_clib.SCORE_KINDS[kind], pointer, values.size), values


def input_norms(samples):
    """Wanda's input norms ‖X_j‖₂ of calibration inputs `samples` ([samples, in], float32,
    float16 or bfloat16 bits), computed by the library as the command line computes them."""
    samples = np.ascontiguousarray(samples)
    if samples.ndim != 2:
        raise _invalid(f"calibration inputs must be [samples, in], not of shape {samples.shape}")
    norms = np.empty(samples.shape[1], dtype=np.float32)
    error = _clib.Error()
    if _lib().bonsai_input_norms(
            _dtype(samples), samples.ctypes.data_as(ctypes.c_void_p), samples.shape[0],
            samples.shape[1], norms.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), norms.size,
            ctypes.byref(error)) != 0:
        _raise(error)
    return norms


def prune(array, *, sparsity=None, metric="l1", granularity="unstructured",
          block_pooling="mean", per_row=False, iterative=None, seed=0, min_nonzero=1,
          threads=None, gradients=None, activations=None, scores=None, mask=False, name=None,
          progress: Optional[Callable[[float], None]] = None,
          cancel: Optional[Callable[[], bool]] = None):
    """Prunes `array` (C-contiguous and writeable) in place and returns a `PruneResult`.

    The options are `bonsai prune`'s: `sparsity` in [0, 1) (default 0.5; not with N:M),
    `metric` ("l1", "l2", "taylor" — |w·g| with `gradients`, the w² proxy without —,
    "wanda" with `activations`, the input norms ‖X_j‖ one per column or the calibration
    inputs [samples, in] they come from, "random" with `seed`,
    or "supplied" with `scores`, one per weight), `granularity` ("unstructured", "rows",
    "columns", "N:M" such as "2:4", "block:RxC"), `block_pooling` ("mean" or "max"),
    `per_row`, `iterative` (None, "total" or "remaining"), `min_nonzero` and `threads`.
    `mask=True` returns the kept bits; `name` names the tensor in error messages;
    `progress(fraction)` is called with the fraction
    done — 0 before the mask is decided, 1 once it is — and `cancel()`, asked after each,
    stops the call when it returns true (`CancelledError`); it is never asked once the
    weights start changing. An exception raised in either stops the call too and is
    re-raised as it was. Errors raise `BonsaiError` subclasses with the library's message
    (TypeError for an option of the wrong type); on any error the array is untouched.
    Arrays at any address are taken (an unaligned one through an aligned copy).
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"bonsai prunes numpy arrays, not {type(array).__name__}")
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError("bonsai prunes in place: the array must be C-contiguous and writeable "
                         "(use bonsai.pruned for a copy)")
    dtype = _dtype(array)
    name = _name(name)
    options = _options(sparsity, metric, granularity, block_pooling, per_row, iterative,
                       seed, min_nonzero, threads, gradients is not None)
    score_input, _score_values = _scores(gradients, activations, scores)
    library = _lib()
    error = _clib.Error()
    config = ctypes.c_void_p()
    if library.bonsai_config_create(ctypes.byref(options), ctypes.byref(config),
                                    ctypes.byref(error)) != 0:
        _raise(error)
    try:
        shape = (ctypes.c_int64 * max(1, array.ndim))(*array.shape)
        callbacks = _Callbacks(progress, cancel)
        bits = np.zeros((array.size + 7) // 8, dtype=np.uint8) if mask else None
        result = _clib.Result()
        status = library.bonsai_prune(
            config, dtype, array.ctypes.data_as(ctypes.c_void_p), shape, array.ndim,
            name, ctypes.byref(score_input) if score_input is not None else None,
            callbacks.pointer(),
            bits.ctypes.data_as(ctypes.c_void_p) if bits is not None else None,
            bits.size if bits is not None else 0, ctypes.byref(result), ctypes.byref(error))
        callbacks.raise_kept()
        if status != 0:
            _raise(error)
        return PruneResult(result.kept_count, result.element_count, bits)
    finally:
        library.bonsai_config_destroy(config)


def pruned(array, **options):
    """A pruned copy of `array` and the `PruneResult`; `array` itself is unchanged. Takes
    the options of `prune`."""
    copy = np.array(array, order="C", copy=True)
    return copy, prune(copy, **options)
