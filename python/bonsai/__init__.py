"""Bonsai: prunes neural-network weights. `prune` and `pruned` bind the C library
(libbonsai.so) with ctypes; see `bonsai.pruning`."""

from .pruning import (BonsaiError, CancelledError, InvalidOptionError, InvalidScoresError,
                      InvalidShapeError, NonFiniteWeightsError, PruneResult, input_norms, prune,
                      pruned, version)

__all__ = ["BonsaiError", "CancelledError", "InvalidOptionError", "InvalidScoresError",
           "InvalidShapeError", "NonFiniteWeightsError", "PruneResult", "input_norms", "prune",
           "pruned", "version"]
