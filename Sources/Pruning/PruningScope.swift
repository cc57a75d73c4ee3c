/// Which units are ranked against each other.
public enum PruningScope: String, Sendable, Hashable, Codable, CaseIterable {
  /// The units of one tensor are ranked together: k = floor(sparsity × units) per tensor.
  case tensor
  /// Each row of a matrix is ranked on its own, as Wanda does: every row loses exactly
  /// floor(sparsity × columns) weights. Unstructured granularity only.
  case perRow = "per-row"
  /// One ranking across all the tensors pruned together: k = floor(sparsity × total) over
  /// their union, ties to the lower (tensor order, index). Unstructured granularity only.
  case global
}

/// How pruning a tensor that already holds zeros counts them. Either way a unit whose
/// weights are all zero counts as already pruned and is pruned first.
public enum IterativeMode: String, Sendable, Hashable, Codable, CaseIterable {
  /// `sparsity` is the total fraction of units to reach: k = max(z, floor(sparsity × units))
  /// where z units are already zero.
  case total
  /// `sparsity` is the fraction of the remaining units to prune, PyTorch's convention (two
  /// rounds of 0.2 reach 0.36): k = z + floor(sparsity × (units − z)).
  case remaining
}
