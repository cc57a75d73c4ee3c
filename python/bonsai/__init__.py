"""Bonsai: prunes neural-network weights. `prune` and `pruned` (masking methods) and
`sparsegpt` bind the C library (libbonsai.so) with ctypes; see `bonsai.pruning` and
`bonsai.reconstruction`."""

from .pruning import (BonsaiError, CancelledError, InvalidHessianError, InvalidOptionError,
                      InvalidScoresError, InvalidShapeError, NonFiniteWeightsError, PruneResult,
                      input_norms, prune, pruned, version)
from .reconstruction import SparseGPTResult, sparsegpt

__all__ = ["BonsaiError", "CancelledError", "InvalidHessianError", "InvalidOptionError",
           "InvalidScoresError", "InvalidShapeError", "NonFiniteWeightsError", "PruneResult",
           "SparseGPTResult", "input_norms", "prune", "pruned", "sparsegpt", "version"]
