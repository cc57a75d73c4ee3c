#!/usr/bin/env python3
"""SparseGPT in numpy, written from the paper: Frantar & Alistarh, "SparseGPT: Massive
Language Models Can Be Accurately Pruned in One-Shot" (ICML 2023), Algorithm 1, with the
conventions of its published code (float32 throughout; dead inputs get H_ii = 1 and zero
weights; dampening λ = percdamp × mean(diag H); the upper Cholesky factor of H⁻¹ from a
Cholesky of H, its inverse and a Cholesky of the inverse; a per-block mask by a threshold at
rank int(numel × sparsity) of w² / [H⁻¹]ᵢᵢ², ties kept (``<=``); N:M groups picked when the
sweep reaches them; lazy GEMM updates of the columns after each block).

It is the independent reference of the interop check (scripts/interop.py) and of the
benchmark (scripts/bench_numpy.py). Usable as a module: ``sparsegpt(W, H, ...)``.
"""
import numpy as np

try:  # torch.cholesky_inverse is LAPACK's potri; numpy alone has no triangular inverse.
    from scipy.linalg.lapack import spotri
except ImportError:  # pragma: no cover - numpy fallback
    spotri = None


def cholesky_inverse(lower):
    """H⁻¹ from the lower Cholesky factor L of H (LAPACK potri when scipy is there)."""
    if spotri is not None:
        inverse, info = spotri(lower, lower=1)
        assert info == 0, f"spotri failed: {info}"
        return np.tril(inverse) + np.tril(inverse, -1).T
    inverse_lower = np.linalg.inv(lower)
    return inverse_lower.T @ inverse_lower


def sparsegpt(weights, hessian, sparsity=0.5, prune_n=0, prune_m=0, blocksize=128,
              percdamp=0.01):
    """The pruned weights (float32). ``prune_n`` of every ``prune_m`` are pruned (the
    published code's convention: 2:4 is prune_n=2, prune_m=4); 0 for unstructured."""
    W = np.array(weights, dtype=np.float32)
    H = np.array(hessian, dtype=np.float32)
    rows, columns = W.shape
    dead = np.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    damp = percdamp * np.mean(np.diag(H))
    H[np.diag_indices(columns)] += damp
    L = np.linalg.cholesky(H)
    Hinv = np.linalg.cholesky(cholesky_inverse(L).astype(np.float32)).T.astype(np.float32)
    everything = np.arange(rows)[:, None]
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].copy()
        Q1 = np.zeros_like(W1)
        Err1 = np.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        diagonal = np.diag(Hinv1)
        if prune_n == 0:
            tmp = W1 ** 2 / diagonal.reshape((1, -1)) ** 2
            thresh = np.sort(tmp.flatten())[int(tmp.size * sparsity)]
            mask1 = tmp <= thresh
        else:
            mask1 = np.zeros(W1.shape, dtype=bool)
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if prune_n != 0 and i % prune_m == 0:
                tmp = W1[:, i:i + prune_m] ** 2 / diagonal[i:i + prune_m].reshape((1, -1)) ** 2
                lowest = np.argsort(tmp, axis=1, kind="stable")[:, :prune_n]
                mask1[everything, i + lowest] = True
            q = w.copy()
            q[mask1[:, i]] = 0
            Q1[:, i] = q
            err1 = (w - q) / d
            W1[:, i:] -= np.outer(err1, Hinv1[i, i:])
            Err1[:, i] = err1
        W[:, i1:i2] = Q1
        W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]
    return W


def relative_output_error(original, pruned, hessian):
    """sqrt(tr(ΔW H ΔWᵀ) / tr(W H Wᵀ)) in float64."""
    W = np.asarray(original, dtype=np.float64)
    D = W - np.asarray(pruned, dtype=np.float64)
    H = np.asarray(hessian, dtype=np.float64)
    return float(np.sqrt(np.einsum("ij,ij->", D @ H, D) / np.einsum("ij,ij->", W @ H, W)))
