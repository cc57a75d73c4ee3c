// How SparseGPT's exact count is spread over its column blocks.
//
// The published code picks each block's mask by a threshold at rank ⌊numel × sparsity⌋ of
// the block's rows × blocksize scores, keeping ties (`tmp <= thresh`): each block prunes at
// least one weight more than its share, more with ties, so the tensor's count is not
// exact. Bonsai gives block b (columns c₀ ..< c₁) the quota
//
//     q_b = target(c₁) − target(c₀),   target(c) = min(⌊sparsity × rows × c⌋, k)
//
// where k is the tensor's exact count (`PruningConfig.prunedUnitCount`, with its
// `minNonzero` cap): the quotas add up to target(n) = k exactly, every block prunes its
// proportional share as in the paper, and within a block the q_b lowest scores are pruned,
// ties to the lower index (row-major order). Per row, the same rule runs on each row with
// rows = 1 and the per-row count.

/// The exact number of weights SparseGPT prunes in each column block.
struct BlockQuota {
  /// Weights per column (the tensor's rows; 1 for a per-row quota).
  let height: Int
  /// The fraction pruned.
  let sparsity: Double
  /// The exact total over all columns.
  let total: Int

  /// How many of the weights of columns `columns` are pruned.
  func quota(_ columns: Range<Int>) -> Int {
    target(columns.upperBound) - target(columns.lowerBound)
  }

  /// How many of the weights of the first `columns` columns are pruned.
  private func target(_ columns: Int) -> Int {
    min(Int((sparsity * Double(height * columns)).rounded(.down)), total)
  }
}
