"""libbonsai.so through ctypes: where it is found, and the C declarations of bonsai.h.

The library is, in order: the file named by the environment variable BONSAI_LIBRARY; the
one in the `libdir` of pkg-config's `bonsai` package (what `scripts/install-c-library
PREFIX` installs, PREFIX/lib/pkgconfig on PKG_CONFIG_PATH unless PREFIX is /usr/local or
/usr); or `libbonsai.so` wherever the dynamic loader looks.
"""

import ctypes
import os
import subprocess


class Options(ctypes.Structure):
    """bonsai_options."""
    _fields_ = [
        ("sparsity", ctypes.c_double),
        ("metric", ctypes.c_uint32),
        ("granularity", ctypes.c_uint32),
        ("keep", ctypes.c_int64),
        ("group", ctypes.c_int64),
        ("block_rows", ctypes.c_int64),
        ("block_columns", ctypes.c_int64),
        ("block_pooling", ctypes.c_uint32),
        ("per_row", ctypes.c_int32),
        ("iterative", ctypes.c_uint32),
        ("seed", ctypes.c_uint64),
        ("min_nonzero", ctypes.c_int64),
        ("threads", ctypes.c_int64),
    ]


MESSAGE_CAPACITY = 512


class Error(ctypes.Structure):
    """bonsai_error."""
    _fields_ = [("status", ctypes.c_uint32), ("message", ctypes.c_char * MESSAGE_CAPACITY)]


class Scores(ctypes.Structure):
    """bonsai_scores."""
    _fields_ = [("kind", ctypes.c_uint32), ("values", ctypes.POINTER(ctypes.c_float)),
                ("count", ctypes.c_size_t)]


PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_double, ctypes.c_void_p)
CANCEL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class Callbacks(ctypes.Structure):
    """bonsai_callbacks."""
    _fields_ = [("progress", PROGRESS), ("cancel", CANCEL), ("context", ctypes.c_void_p)]


class Result(ctypes.Structure):
    """bonsai_result."""
    _fields_ = [("element_count", ctypes.c_uint64), ("kept_count", ctypes.c_uint64)]


class SparseGPTOptions(ctypes.Structure):
    """bonsai_sparsegpt_options."""
    _fields_ = [
        ("sparsity", ctypes.c_double),
        ("keep", ctypes.c_int64),
        ("group", ctypes.c_int64),
        ("per_row", ctypes.c_int32),
        ("measure_output_error", ctypes.c_int32),
        ("min_nonzero", ctypes.c_int64),
        ("block_size", ctypes.c_int64),
        ("dampening", ctypes.c_double),
        ("threads", ctypes.c_int64),
    ]


class Hessian(ctypes.Structure):
    """bonsai_hessian."""
    _fields_ = [("kind", ctypes.c_uint32), ("dtype", ctypes.c_uint32),
                ("values", ctypes.c_void_p), ("rows", ctypes.c_int64)]


class SparseGPTResult(ctypes.Structure):
    """bonsai_sparsegpt_result."""
    _fields_ = [("element_count", ctypes.c_uint64), ("kept_count", ctypes.c_uint64),
                ("relative_output_error", ctypes.c_double)]


# The values of bonsai.h's enums, by the names the command line gives them.
METRICS = {"l1": 0, "l2": 1, "taylor": 2, "taylor-proxy": 3, "wanda": 4, "random": 5,
           "supplied": 6}
GRANULARITIES = {"unstructured": 0, "rows": 1, "columns": 2, "n-of-m": 3, "blocks": 4}
POOLINGS = {"mean": 0, "max": 1}
ITERATIVE = {None: 0, "total": 1, "remaining": 2}
DTYPES = {"float32": 0, "float16": 1, "bfloat16": 2, "float64": 3}
HESSIAN_KINDS = {"matrix": 0, "inputs": 1}
SCORE_KINDS = {"gradients": 0, "input_norms": 1, "scores": 2}
CANCELLED = 6
INVALID_HESSIAN = 8
# The ranges of the C types that options cross into: ctypes would wrap anything outside.
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


def _library_path():
    explicit = os.environ.get("BONSAI_LIBRARY")
    if explicit:
        return explicit
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "bonsai"], check=True,
                                capture_output=True, text=True).stdout.strip()
        candidate = os.path.join(libdir, "libbonsai.so")
        if os.path.exists(candidate):
            return candidate
    except (OSError, subprocess.CalledProcessError):
        pass
    return "libbonsai.so"


def load():
    """The loaded library with the argument and result types of its functions."""
    path = _library_path()
    try:
        library = ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(
            f"bonsai: cannot load the C library {path!r} ({error}); install it with "
            "scripts/install-c-library PREFIX, or set BONSAI_LIBRARY to its path") from None
    library.bonsai_version.restype = ctypes.c_char_p
    library.bonsai_version.argtypes = []
    library.bonsai_options_init.restype = None
    library.bonsai_options_init.argtypes = [ctypes.POINTER(Options)]
    library.bonsai_config_create.restype = ctypes.c_uint32
    library.bonsai_config_create.argtypes = [
        ctypes.POINTER(Options), ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(Error)]
    library.bonsai_config_destroy.restype = None
    library.bonsai_config_destroy.argtypes = [ctypes.c_void_p]
    library.bonsai_prune.restype = ctypes.c_uint32
    library.bonsai_prune.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64),
        ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(Scores), ctypes.POINTER(Callbacks),
        ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(Result), ctypes.POINTER(Error)]
    library.bonsai_input_norms.restype = ctypes.c_uint32
    library.bonsai_input_norms.argtypes = [
        ctypes.c_uint32, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
        ctypes.POINTER(ctypes.c_float), ctypes.c_size_t, ctypes.POINTER(Error)]
    library.bonsai_sparsegpt_options_init.restype = None
    library.bonsai_sparsegpt_options_init.argtypes = [ctypes.POINTER(SparseGPTOptions)]
    library.bonsai_sparsegpt.restype = ctypes.c_uint32
    library.bonsai_sparsegpt.argtypes = [
        ctypes.POINTER(SparseGPTOptions), ctypes.c_uint32, ctypes.c_void_p, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_char_p, ctypes.POINTER(Hessian), ctypes.POINTER(Callbacks),
        ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(SparseGPTResult),
        ctypes.POINTER(Error)]
    return library
