/// SparseGPT's sweep along one row of one column block: each pruned weight's error
/// e = w / U_ii is recorded for the block's GEMM and spread over the row's later columns of
/// the block (w_j −= e·U_ij). Rows are independent, so a worker sweeps the rows of its bands
/// with its own scratch.
struct RowSweep {
  /// The weights, updated in place.
  let w: MatrixView<Float>
  /// U, the upper factor of the dampened inverse Hessian (read only).
  let u: MatrixView<Float>
  /// The block's columns.
  let block: Range<Int>
  /// The block's errors, rows × block width, for the GEMM after the block.
  let errors: MatrixView<Float>
  /// The kept bits of the whole tensor; a sweep clears those of the weights it prunes.
  let kept: UnsafeMutableBufferPointer<UInt64>
  /// Scratch of the block's width: saliencies, selection keys, and which offsets are pruned.
  let scores: UnsafeMutableBufferPointer<Float>
  let keys: UnsafeMutableBufferPointer<UInt64>
  let chosen: UnsafeMutableBufferPointer<Bool>

  /// Marks, for row `row`, block offsets `offsets` chosen (pruned) exactly when their
  /// saliency w² / U_ii² — on the weights as they stand now — is among the `count` lowest,
  /// ties to the lower offset.
  func choose(row: Int, among offsets: Range<Int>, count: Int) {
    for offset in offsets {
      let column = block.lowerBound + offset
      let d = u.buffer[column * u.stride + column]
      let x = w.buffer[row * w.stride + column]
      scores[offset - offsets.lowerBound] = x * x / (d * d)
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
    let first = block.lowerBound
    let width = block.count
    let weights = w.base + row * w.stride + first
    let rowErrors = errors.base + row * errors.stride
    for offset in 0 ..< width {
      if let (keep, group) = pattern, offset % group == 0 {
        choose(row: row, among: offset ..< offset + group, count: group - keep)
      }
      guard chosen[offset] else {
        rowErrors[offset] = 0
        continue
      }
      let column = first + offset
      let factorRow = u.base + column * u.stride + first
      let error = weights[offset] / factorRow[offset]
      rowErrors[offset] = error
      weights[offset] = 0
      for later in offset + 1 ..< width { weights[later] -= error * factorRow[later] }
      let index = row * w.columns + column
      kept[index >> 6] &= ~(1 << UInt64(index & 63))
    }
  }
}
