// SparseGPT (Frantar & Alistarh, "SparseGPT: Massive Language Models Can Be Accurately
// Pruned in One-Shot", ICML 2023, Algorithm 1): prunes a layer's weights W [rows, in] and
// updates the kept ones so that the layer's output on calibration inputs moves as little as
// possible, min ‖W·X − Ŵ·X‖², given only the Hessian H = X·Xᵀ [in, in].
//
// Columns are processed left to right in blocks. At the start of a block the mask is chosen
// by the OBS saliency w² / [H⁻¹]ᵢᵢ² (U_ii of the upper Cholesky factor U of the inverse),
// read on the weights as earlier blocks left them. Within the block, each pruned weight's
// error e = w / U_ii is spread over the row's later columns of the block (w_j −= e·U_ij);
// then one GEMM carries the block's changes to all later columns. Bonsai never forms U:
// the updates run through the Cholesky factor R of H itself and the inverse of R's
// diagonal block (see `HessianFactor` and `RowSweep`), which saves the inverse (n³/3 flops).
// Rows are independent: they are split in fixed bands over Bonsai's threads (the selection
// across the rows of an unstructured block aside), so the result is bit-identical for any
// thread count.
//
// Exact counts: see `BlockQuota` (unstructured, per tensor or per row); N:M groups prune
// M − N weights each, chosen when the sweep reaches the group, as the paper does.

/// Prunes weights by SparseGPT: the mask is chosen with the Hessian of the layer's inputs and
/// the kept weights are updated to make up for the pruned ones.
///
/// ```swift
/// let factor = try HessianFactor(hessian: h.span, size: 512, name: "fc1.weight")
/// let sparseGPT = SparseGPT(try SparseGPTConfig(sparsity: 0.5))
/// let mask = try sparseGPT.prune(&fc1, factor: factor)   // kept weights changed too
/// ```
/// Unlike `Pruner`, kept weights do not keep their bits. Exactly k weights are pruned
/// (see `BlockQuota`); the same input gives the same bits whatever the thread count.
public struct SparseGPT: Sendable, Hashable {
  /// What to prune.
  public let config: SparseGPTConfig
  /// How many threads one call may use (at least 1).
  public let threadCount: Int

  /// Rows per band of the row split: fixed, so that every GEMM call is the same whatever
  /// the thread count.
  static let bandRows = 256

  /// A SparseGPT pruner using `threadCount` threads (default: the active processors).
  public init(_ config: SparseGPTConfig, threadCount: Int? = nil) {
    self.config = config
    self.threadCount = max(1, threadCount ?? Parallel.defaultThreadCount)
  }

  /// The factor of `hessian` with this configuration's dampening and threads: see
  /// `HessianFactor.init(hessian:size:name:dampening:threadCount:)`.
  public func factor(hessian: Span<Double>, size: Int, name: String)
    throws(SparseGPTError) -> HessianFactor
  {
    try HessianFactor(
      hessian: hessian, size: size, name: name, dampening: config.dampening,
      threadCount: threadCount)
  }

  /// The factor of a single-precision `hessian`; see the double-precision `factor`.
  public func factor(hessian: Span<Float>, size: Int, name: String)
    throws(SparseGPTError) -> HessianFactor
  {
    try HessianFactor(
      hessian: hessian, size: size, name: name, dampening: config.dampening,
      threadCount: threadCount)
  }

  /// Prunes `tensor`, a matrix [rows, in], in place: pruned weights become +0, kept ones
  /// are updated. Returns the mask of kept weights (exactly k pruned; dead inputs' weights
  /// are zeroed and, scoring 0, pruned first).
  ///
  /// - Parameters:
  ///   - tensor: the weights; unchanged when an error is thrown.
  ///   - factor: the factor of the Hessian of the tensor's inputs (`size` == in).
  /// - Throws: `SparseGPTError.pruning` for an empty tensor, a tensor that is not a matrix,
  ///   non-finite weights, a row not divisible by the N:M group or `minNonzero` above the
  ///   count; `.hessianShape` when the factor's size is not the column count.
  /// - Complexity: ≈ rows·n² flops (the GEMM updates) plus ≈ rows·n·blockSize for the
  ///   updates inside the blocks; extra memory one Float accumulator per weight (rows·n)
  ///   and O(rows × blockSize).
  @discardableResult
  public func prune(_ tensor: inout WeightTensor, factor: HessianFactor)
    throws(SparseGPTError) -> PruningMask
  {
    let (name, shape) = (tensor.name, tensor.shape)
    var span = tensor.values.mutableSpan
    return try prune(&span, shape: shape, name: name, factor: factor)
  }

  /// Prunes row-major `Float` weights of shape `shape` held in any buffer, in place; see
  /// `prune(_:factor:)`.
  @discardableResult
  public func prune(
    _ weights: inout MutableSpan<Float>, shape: [Int], name: String,
    factor: HessianFactor
  ) throws(SparseGPTError) -> PruningMask {
    let (rows, columns) = try check(weights.count, shape: shape, name: name, factor: factor)
    return try weights.withUnsafeMutableBufferPointer { values throws(SparseGPTError) in
      do throws(PruningError) {
        try NonFiniteCount.check(UnsafeBufferPointer(values), name: name, threads: threadCount)
      } catch {
        throw .pruning(error)
      }
      let w = MatrixView(values, rows: rows, columns: columns)
      guard let mask = run(w, factor: factor, checkpoint: { _ in true }) else {
        preconditionFailure("a sweep its checkpoint never stops returned no mask")
      }
      return mask
    }
  }

  /// The matrix dimensions of a tensor, after checking it can be pruned with `factor`.
  func check(
    _ count: Int, shape: [Int], name: String, factor: HessianFactor
  ) throws(SparseGPTError) -> (rows: Int, columns: Int) {
    let selection = config.selection
    guard WeightTensor.elementCount(of: shape) == count else {
      throw .pruning(.shapeMismatch(name: name, shape: shape, valueCount: count))
    }
    guard count > 0 else { throw .pruning(.emptyTensor(name: name)) }
    guard shape.count == 2 else {
      throw .pruning(.notAMatrix(name: name, shape: shape, granularity: "SparseGPT"))
    }
    let (rows, columns) = (shape[0], shape[1])
    guard factor.size == columns else {
      throw .hessianShape(name: name, shape: [factor.size, factor.size], expected: [columns, columns])
    }
    if case .semiStructured(_, let group) = selection.granularity, columns % group != 0 {
      throw .pruning(.rowNotDivisible(name: name, columns: columns, group: group))
    }
    let guarded = selection.scope == .perRow ? columns : count
    guard selection.minNonzero <= guarded else {
      throw .pruning(.minNonzeroExceedsCount(name: name, minNonzero: selection.minNonzero, count: guarded))
    }
    return (rows, columns)
  }

  // MARK: - The algorithm

  /// Runs Algorithm 1 on the checked, finite weights `w`, asking `checkpoint` (with the
  /// fraction of columns swept) after every round of `threadCount` row bands of the sweep
  /// (~60 ms apart at 4096 × 3072); nil when it answers false, `w` then half swept.
  func run(
    _ w: MatrixView<Float>, factor: HessianFactor, checkpoint: (_ fractionDone: Double) -> Bool
  ) -> PruningMask? {
    let (rows, n) = (w.rows, w.columns)
    for input in factor.deadInputs {
      for row in 0 ..< rows { w[row, input] = 0 }
    }
    let selection = config.selection
    let quota: BlockQuota
    if selection.scope == .perRow {
      quota = BlockQuota(
        height: 1, sparsity: selection.sparsity,
        total: selection.prunedUnitCount(units: n, unitSize: rows))
    } else {
      quota = BlockQuota(
        height: rows, sparsity: selection.sparsity,
        total: selection.prunedUnitCount(units: rows * n, unitSize: 1))
    }
    var mask = PruningMask(uncheckedCount: rows * n, allKept: true)
    let blockSize = min(config.blockSize, n)
    let scratch = UnsafeMutableBufferPointer<Float>.allocate(
      capacity: 2 * rows * blockSize + blockSize * blockSize)
    defer { scratch.deallocate() }
    let sums = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * n)
    defer { sums.deallocate() }
    sums.initialize(repeating: 0)
    let s = MatrixView(sums, rows: rows, columns: n)
    let bands = ParallelCholesky.tiles(0 ..< rows, size: Self.bandRows)
    let finished = factor.upper.withUnsafeBufferPointer { upper in
      // Read only: sgemm's B operand.
      let r = MatrixView(UnsafeMutableBufferPointer(mutating: upper), rows: n, columns: n)
      return mask.words.withUnsafeMutableBufferPointer { kept in
        for block in ParallelCholesky.tiles(0 ..< n, size: blockSize) {
          let width = block.count
          let current = MatrixView(scratch, rows: rows, columns: width)
          let changes = MatrixView(scratch, rows: rows, columns: width, start: rows * width)
          let inverseBlock = MatrixView(
            scratch, rows: width, columns: width, start: 2 * rows * width)
          factor.inverseOfDiagonalBlock(block, into: inverseBlock)
          Parallel.forEach(tasks: bands.count, threads: threadCount) { band in
            let rows = bands[band]
            for row in rows {
              for offset in 0 ..< width { current[row, offset] = w[row, block.lowerBound + offset] }
            }
            BLAS.addProduct(
              s.block(rows: rows, columns: block), inverseBlock,
              to: current.block(rows: rows, columns: 0 ..< width))
          }
          let blockMask = selection.scope == .tensor && selection.granularity == .unstructured
            ? tensorBlockMask(current, inverseBlock, pruning: quota.quota(block)) : nil
          for round in stride(from: 0, to: bands.count, by: threadCount) {
            let roundBands = round ..< min(round + threadCount, bands.count)
            Parallel.forEach(tasks: roundBands.count, threads: threadCount) { task in
              let band = roundBands.lowerBound + task
              withScratch(width) { scores, keys, chosen in
                let sweep = RowSweep(
                  w: w, block: block, inverseBlock: inverseBlock, current: current,
                  changes: changes, kept: kept, scores: scores, keys: keys, chosen: chosen)
                for row in bands[band] {
                  switch (blockMask, selection.granularity) {
                  case (let blockMask?, _):
                    sweep.choose(row: row) { blockMask[row * width + $0] }
                    sweep.sweep(row: row, pattern: nil)
                  case (nil, .semiStructured(let keep, let group)):
                    sweep.sweep(row: row, pattern: (keep, group))
                  default:
                    sweep.choose(row: row, among: 0 ..< width, count: quota.quota(block))
                    sweep.sweep(row: row, pattern: nil)
                  }
                }
                BLAS.addProduct(
                  changes.block(rows: bands[band], columns: 0 ..< width),
                  r.block(rows: block, columns: block.upperBound ..< n),
                  to: s.block(rows: bands[band], columns: block.upperBound ..< n))
              }
            }
            let swept = Double(bands[roundBands.upperBound - 1].upperBound) / Double(rows)
            guard checkpoint((Double(block.lowerBound) + swept * Double(width)) / Double(n))
            else { return false }
          }
        }
        return true
      }
    }
    return finished ? mask : nil
  }

  /// Calls `body` with a worker's scratch for a block of `width` columns: saliencies,
  /// selection keys and chosen flags.
  private func withScratch(
    _ width: Int,
    _ body: (
      UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<UInt64>,
      UnsafeMutableBufferPointer<Bool>
    ) -> Void
  ) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { scores in
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: width) { keys in
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: width) { chosen in
          body(scores, keys, chosen)
        }
      }
    }
  }

  /// The kept mask of a block of all rows (row-major, rows × width) from its `current`
  /// weights: the `count` lowest saliencies, ties to the lower index. The saliencies are
  /// computed as each pass of the selection reads them, not held (a fresh rows × width array
  /// per block was 2 MB, 86 times a layer, for 4096 × 11008).
  private func tensorBlockMask(
    _ current: MatrixView<Float>, _ inverseBlock: MatrixView<Float>, pruning count: Int
  ) -> PruningMask {
    let keys = BlockSaliencyKeys(current: current, inverseBlock: inverseBlock)
    return LowestKSelection.cut(keys, pruning: count, threads: threadCount)
      .mask(of: keys, threads: threadCount)
  }
}

/// The selection keys of the saliencies of a block of all rows, unit `row · width + offset`
/// being weight `offset` of the block in row `row`.
private struct BlockSaliencyKeys: KeySource {
  let current: MatrixView<Float>
  let inverseBlock: MatrixView<Float>

  var count: Int { current.rows * current.columns }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    let width = current.columns
    var (row, offset) = range.lowerBound.quotientAndRemainder(dividingBy: width)
    for slot in 0 ..< range.count {
      keys[slot] = ScoreKey.key(
        RowSweep.saliency(current[row, offset], inverseBlock[offset, offset]))
      offset += 1
      if offset == width { (row, offset) = (row + 1, 0) }
    }
  }
}
