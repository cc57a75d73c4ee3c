"""bonsai-calibrate: calibration statistics for Bonsai, captured from a Hugging Face
causal language model with torch + transformers.

`capture` runs calibration tokens through the model's decoder blocks and accumulates, for
every `nn.Linear` inside them, the Hessian H = Σ x·xᵀ of its inputs (float64) and the input
norms ‖X_j‖₂ = sqrt(diag H), named as the weights, for `bonsai prune --metric sparsegpt
--hessians` and `--metric wanda --activations`. `sequential` does the same block by block,
pruning each block with the `bonsai` executable before computing the next block's inputs,
and saves the pruned model folder. torch and transformers are imported only here.
"""


class CalibrationError(Exception):
    """A user error, printed as one line: a missing folder, text or tokenizer, too few tokens."""
