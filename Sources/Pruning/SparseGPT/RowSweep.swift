// The paper's update, carried through R instead of U = R⁻¹ (see `HessianFactor`).
//
// Algorithm 1 keeps the current weights and, for each column i in turn, prunes or keeps
// w_i and moves the later columns by the error e_i = (w_i − q_i) / U_ii: w_j −= e_i·U_ij.
// All together W − W_pruned = E·U, so E = ΔW·R with ΔW = W − W_pruned (original minus
// final). Splitting R and U = R⁻¹ into the columns before a block (p) and the block (b),
// R·U = I gives U_pb = −R_pp⁻¹·R_pb·U_bb, so the block's current weights when the sweep
// reaches it are
//
//     W_b − E_p·U_pb = W_b + S_b·U_bb,    S_b = ΔW_p·R_pb,
//
// the same numbers, read through R and the inverse U_bb of R's diagonal block only. The
// caller's W keeps its original values until a block is done; S accumulates, one GEMM per
// block, ΔW_block·R_block,after for every later column; within the block, the sweep runs
// the paper's own updates with U_bb.

/// SparseGPT's sweep along one row of one column block; rows are independent, so a worker
/// sweeps the rows of its bands with its own scratch.
struct RowSweep {
  /// The weights: original values in the columns not yet swept, final ones after.
  let w: MatrixView<Float>
  /// The block's columns.
  let block: Range<Int>
  /// U_bb, the inverse of R's diagonal block, width × width, zero below the diagonal.
  let inverseBlock: MatrixView<Float>
  /// The block's current weights, rows × width (W_b + S_b·U_bb when the sweep starts).
  let current: MatrixView<Float>
  /// ΔW of the block, rows × width, for the GEMM after the block.
  let changes: MatrixView<Float>
  /// The kept bits of the whole tensor; a sweep clears those of the weights it prunes.
  let kept: UnsafeMutableBufferPointer<UInt64>
  /// Scratch of the block's width: saliencies, selection keys, and which offsets are pruned.
  let scores: UnsafeMutableBufferPointer<Float>
  let keys: UnsafeMutableBufferPointer<UInt64>
  let chosen: UnsafeMutableBufferPointer<Bool>

  /// SparseGPT's saliency of a weight of current value `x` whose input has U_ii = `d`:
  /// w² / [H⁻¹]ᵢᵢ² in the paper's notation, as its code computes it.
  @inline(__always)
  static func saliency(_ x: Float, _ d: Float) -> Float {
    x * x / (d * d)
  }

  /// Marks, for row `row`, block offsets `offsets` chosen (pruned) exactly when their
  /// saliency is among the `count` lowest, ties to the lower offset.
  func choose(row: Int, among offsets: Range<Int>, count: Int) {
    let values = current.base + row * current.stride
    for offset in offsets {
      let d = inverseBlock[offset, offset]
      scores[offset - offsets.lowerBound] = Self.saliency(values[offset], d)
      chosen[offset] = false
    }
    SmallSelection.lowest(
      count, of: UnsafeBufferPointer(rebasing: scores[0 ..< offsets.count]), keys: keys
    ) { chosen[offsets.lowerBound + $0] = true }
  }

  /// Marks the offsets of row `row` chosen as `isKept` says.
  func choose(row: Int, keeping isKept: (Int) -> Bool) {
    for offset in 0 ..< block.count { chosen[offset] = !isKept(offset) }
  }

  /// Sweeps row `row` of the block, pruning the chosen offsets; with an N:M `pattern`, the
  /// `group − keep` weights of each group are chosen when the sweep reaches the group.
  func sweep(row: Int, pattern: (keep: Int, group: Int)?) {
    let width = block.count
    let weights = w.base + row * w.stride + block.lowerBound
    let values = current.base + row * current.stride
    let rowChanges = changes.base + row * changes.stride
    for offset in 0 ..< width {
      if let (keep, group) = pattern, offset % group == 0 {
        choose(row: row, among: offset ..< offset + group, count: group - keep)
      }
      let final = chosen[offset] ? 0 : values[offset]
      if chosen[offset] {
        let factorRow = inverseBlock.base + offset * inverseBlock.stride
        let error = values[offset] / factorRow[offset]
        for later in offset + 1 ..< width { values[later] -= error * factorRow[later] }
        let index = row * w.columns + block.lowerBound + offset
        kept[index >> 6] &= ~(1 << UInt64(index & 63))
      }
      rowChanges[offset] = weights[offset] - final
      weights[offset] = final
    }
  }
}
