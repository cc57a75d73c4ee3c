// The one pipeline behind every kind of pruning:
//   define units → score units → select the k lowest → expand to an element mask → apply.
// Unstructured magnitude and random scores are never materialised: their keys are computed
// from the weights as each pass reads them, and the pruned weights are zeroed in the same
// pass that decides the mask. Row L2 norms go through CBLAS, row L1 and column norms
// through C kernels.
// The groups that the patterns sparse kernels and Wanda use take fused paths of their own
// that score, select, zero and mask in one visit of the weights while they are in cache:
// N:M for M = 2, 4, 8 (`SemiStructuredSelection`) and per-row ranking (`RowSelection`), by
// magnitude or Wanda scores; `GroupedSelection` decides the same bits for every other group.

/// Prunes tensors with one configuration.
///
/// ```swift
/// let pruner = Pruner(try .unstructuredL1(sparsity: 0.5))
/// var tensor = try WeightTensor(name: "fc", shape: [2, 2], values: [0.1, -2, 0.3, 4])
/// let mask = try pruner.prune(&tensor)   // tensor.values == [0, -2, 0, 4]
/// ```
/// Exactly k units are pruned (see `PruningConfig`); among equal scores the lower index is
/// pruned first. The same input and configuration give the same bits whatever the thread
/// count. A `Pruner` is a value: share it freely between threads.
public struct Pruner: Sendable, Hashable {
  /// What to prune.
  public let config: PruningConfig
  /// How many threads one call may use (at least 1).
  public let threadCount: Int

  /// A pruner for `config` using `threadCount` threads (default: the processors this
  /// process may use: its CPU affinity mask, capped by its cgroup's CPU quota).
  public init(_ config: PruningConfig, threadCount: Int? = nil) {
    self.config = config
    self.threadCount = max(1, threadCount ?? Parallel.defaultThreadCount)
  }

  /// Prunes `tensor` in place and returns the mask of kept elements.
  ///
  /// - Parameters:
  ///   - tensor: the weights; unchanged when an error is thrown.
  ///   - input: what the metric needs besides the weights — gradients for `taylor`, input
  ///     norms for `wanda`, scores for `supplied` — or nil.
  /// - Throws: `PruningError` for an empty tensor, a granularity or scope its shape cannot
  ///   take, `minNonzero` above its element count, missing or unfit score input, non-finite
  ///   weights, or the global scope (see `prune(_:inputs:)` for a model).
  /// - Complexity: O(n) (O(n·M) for N:M groups of M ≤ 32); extra memory n/8 bytes for the
  ///   mask (one bit per weight) and, while selecting, at most n/8 candidate keys (per-row
  ///   ranking: about 20 bytes per column and thread of scratch instead).
  @discardableResult
  public func prune(_ tensor: inout WeightTensor, input: ScoreInput? = nil)
    throws(PruningError) -> PruningMask
  {
    let (name, shape) = (tensor.name, tensor.shape)
    return try tensor.values.withUnsafeMutableBufferPointer { values throws(PruningError) in
      try prune(values, shape: shape, name: name, input: input)
    }
  }

  /// A pruned copy of `tensor` and its mask; `tensor` itself is unchanged.
  public func pruned(_ tensor: WeightTensor, input: ScoreInput? = nil)
    throws(PruningError) -> PrunedTensor
  {
    var copy = tensor
    let mask = try prune(&copy, input: input)
    return PrunedTensor(tensor: copy, mask: mask)
  }

  /// Prunes weights held in any buffer of `Float`, `Float16` or `BFloat16` in place —
  /// a tensor of a memory-mapped checkpoint, say — without widening or copying them.
  ///
  /// - Parameters:
  ///   - values: the weights, row-major.
  ///   - shape: their shape; its product must equal `values.count`.
  ///   - name: the tensor's name, for error messages.
  ///   - input: what the metric needs besides the weights, or nil.
  public func prune<Scalar: PrunableScalar>(
    _ values: inout MutableSpan<Scalar>, shape: [Int], name: String, input: ScoreInput? = nil
  ) throws(PruningError) -> PruningMask {
    try values.withUnsafeMutableBufferPointer { values throws(PruningError) in
      try Operation(pruner: self, shape: shape, name: name, input: input, zeroing: true)
        .runSpecialized(values)
    }
  }

  /// The mask that `prune(_:shape:name:input:)` would return, without changing the weights:
  /// a dry run over `Float`, `Float16` or `BFloat16` weights read where they lie.
  ///
  /// - Throws: as `prune(_:shape:name:input:)`.
  /// - Complexity: as pruning; extra memory the mask (n/8 bytes) and the selection's.
  public func mask<Scalar: PrunableScalar>(
    of values: Span<Scalar>, shape: [Int], name: String, input: ScoreInput? = nil
  ) throws(PruningError) -> PruningMask {
    try values.withUnsafeBufferPointer { values throws(PruningError) in
      // Never written: the operation is told not to zero.
      try Operation(pruner: self, shape: shape, name: name, input: input, zeroing: false)
        .runSpecialized(UnsafeMutableBufferPointer(mutating: values))
    }
  }

  /// The mask that `prune(_:input:)` would return, without changing (or copying) `tensor`.
  public func mask(of tensor: WeightTensor, input: ScoreInput? = nil)
    throws(PruningError) -> PruningMask
  {
    try mask(of: tensor.values.span, shape: tensor.shape, name: tensor.name, input: input)
  }

  /// Pruning as a `ScalarOperation`, so that the public generic entries run specialised.
  private struct Operation: ScalarOperation {
    let pruner: Pruner
    let shape: [Int]
    let name: String
    let input: ScoreInput?
    let zeroing: Bool

    func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>)
      throws(PruningError) -> PruningMask
    {
      try pruner.prune(values, shape: shape, name: name, input: input, zeroing: zeroing)
    }
  }

  /// The pipeline on a buffer.
  ///
  /// Non-finite weights are an error, found without a pass of their own wherever the scoring
  /// pass reads the weights anyway: a NaN or ±Inf weight makes its magnitude, Wanda or Taylor
  /// key, or its row's or column's norm, non-finite. Only then are they counted exactly (a
  /// huge finite weight can overflow a w² key or a sum; the count tells the two apart).
  /// Random and supplied scores never read the weights, and grouped selections keep no
  /// count, so for them the weights are checked first. Without `zeroing` (a dry run) the
  /// mask is decided and `values` never written.
  func prune<Scalar: PrunableScalar>(
    _ values: UnsafeMutableBufferPointer<Scalar>, shape: [Int], name: String,
    input: ScoreInput?, zeroing: Bool = true
  ) throws(PruningError) -> PruningMask {
    guard config.scope != .global else {
      throw .scopeMismatch(scope: "global", call: "one tensor on its own; prune a model")
    }
    let layout = try checkedLayout(
      shape: shape, valueCount: values.count, name: name, input: input)
    let check = FiniteCheck(values: UnsafeBufferPointer(values), name: name, threads: threadCount)
    let scoring = ElementScoring(config.metric, input: input, columns: layout.columns)
    if !scoring.revealsNonFiniteWeights { try check.run() }
    switch layout.units {
    case .elements:
      return try pruneElements(values, scoring: scoring, check: check, zeroing: zeroing)
    case .groups(let size, let kept):
      if scoring.revealsNonFiniteWeights { try check.run() }
      if let kept, let fused = SemiStructuredSelection(
        groupSize: size, kept: kept, scoring: scoring, columns: layout.columns,
        scalar: Scalar.self)
      {
        return fused.prune(values, zeroing: zeroing, threads: threadCount)
      }
      if let rows = RowSelection(layout: layout, config: config, scoring: scoring) {
        return rows.prune(values, zeroing: zeroing, threads: threadCount)
      }
      let mask = groupMask(
        UnsafeBufferPointer(values), layout: layout, size: size, kept: kept, scoring: scoring)
      if zeroing { mask.apply(to: values, threads: threadCount) }
      return mask
    case .rows, .columns, .blocks:
      let mask = try unitMask(
        UnsafeBufferPointer(values), layout: layout, scoring: scoring, check: check)
      if zeroing { mask.apply(to: values, threads: threadCount) }
      return mask
    }
  }

  /// The units of a tensor under this configuration, after checking that the tensor can
  /// take them and that `input` is what the metric needs for it.
  func checkedLayout(shape: [Int], valueCount: Int, name: String, input: ScoreInput?)
    throws(PruningError) -> UnitLayout
  {
    let layout = try UnitLayout(shape: shape, valueCount: valueCount, name: name, config: config)
    try ScoreInputValidation.validate(
      input, metric: config.metric, name: name, rows: layout.rows, columns: layout.columns)
    return layout
  }

  /// Unstructured pruning: selects the k lowest element keys, then decides the mask and
  /// zeroes the pruned elements in the same pass, block by block while they are in cache.
  /// Magnitude keys of a first round come straight from the weights' bits (`ElementScoreKeys`).
  private func pruneElements<Scalar: PrunableScalar>(
    _ values: UnsafeMutableBufferPointer<Scalar>, scoring: ElementScoring,
    check: FiniteCheck<Scalar>, zeroing: Bool
  ) throws(PruningError) -> PruningMask {
    let readable = UnsafeBufferPointer(values)
    let zerosFirst = config.iterative != nil
    let k = config.prunedUnitCount(
      units: values.count, unitSize: 1,
      alreadyPruned: zerosFirst ? ZeroElements.count(readable) : 0)
    let detecting = scoring.revealsNonFiniteWeights ? check : nil
    let keys = ElementScoreKeys(values: readable, scoring: scoring, zerosFirst: zerosFirst)
    return try selectAndZero(values, k: k, keys: keys, check: detecting, zeroing: zeroing)
  }

  /// Selects the k lowest keys and, with `zeroing`, zeroes the rest in the mask pass.
  /// `check` runs unless the selection saw no key of a non-finite score.
  private func selectAndZero<Scalar: PrunableScalar, Keys: KeySource>(
    _ values: UnsafeMutableBufferPointer<Scalar>, k: Int, keys: Keys, check: FiniteCheck<Scalar>?,
    zeroing: Bool
  ) throws(PruningError) -> PruningMask {
    let cut = LowestKSelection.cut(keys, pruning: k, threads: threadCount)
    if let check, cut.nonFiniteKeys != 0 { try check.run() }
    guard zeroing else { return cut.mask(of: keys, threads: threadCount) }
    return cut.mask(of: keys, threads: threadCount) { start, kept in
      PruningMask.zero(values, from: start, keeping: kept)
    }
  }

  /// The mask of N:M patterns (`kept` of every `size`) and per-row ranking (`kept` nil: the
  /// count of `PruningConfig` per row, zeros of an earlier round counted per row).
  private func groupMask<Scalar: PrunableScalar>(
    _ values: UnsafeBufferPointer<Scalar>, layout: UnitLayout, size: Int, kept: Int?,
    scoring: ElementScoring
  ) -> PruningMask {
    let zerosFirst = config.iterative != nil && kept == nil
    let keys = ElementScoreKeys(values: values, scoring: scoring, zerosFirst: zerosFirst)
    return GroupedSelection.mask(
      of: keys, rows: layout.rows, columns: layout.columns, groupSize: size,
      countingZeros: zerosFirst, threads: threadCount
    ) { zeros in
      if let kept { return size - kept }
      return config.prunedUnitCount(units: size, unitSize: layout.rows, alreadyPruned: zeros)
    }
  }

  /// The mask of rows, columns and blocks: one score per unit, the k lowest units selected.
  /// Units of an earlier round (all zero) rank first when iterating. Block scores are
  /// recomputed in each pass rather than held (`BlockKeys`).
  private func unitMask<Scalar: PrunableScalar>(
    _ readable: UnsafeBufferPointer<Scalar>, layout: UnitLayout, scoring: ElementScoring,
    check: FiniteCheck<Scalar>
  ) throws(PruningError) -> PruningMask {
    if case .blocks(let shape) = layout.units {
      let seed: UInt64? = if case .random(let seed) = config.metric { seed } else { nil }
      let keys = BlockKeys(
        values: readable,
        grid: layout.blockGrid(shape),
        pooling: shape.pooling == .mean ? .mean : .max, scoring: scoring, randomSeed: seed,
        zerosFirst: config.iterative != nil)
      let k = config.prunedUnitCount(
        units: layout.unitCount, unitSize: layout.unitSize,
        alreadyPruned: keys.zerosFirst ? KeyCount.zeros(in: keys) : 0)
      let cut = LowestKSelection.cut(keys, pruning: k, threads: threadCount)
      if scoring.revealsNonFiniteWeights && cut.nonFiniteKeys != 0 { try check.run() }
      return layout.elementMask(from: cut.mask(of: keys, threads: threadCount))
    }
    var scores = UnitScores.scores(
      of: readable, layout: layout, metric: config.metric, scoring: scoring,
      threads: threadCount)
    if scores.contains(where: { !$0.isFinite }) { try check.run() }
    var alreadyPruned = 0
    if config.iterative != nil {
      let zero = UnitScores.zeroUnits(of: readable, layout: layout, threads: threadCount)
      for unit in scores.indices where zero[unit] {
        scores[unit] = -.infinity
        alreadyPruned += 1
      }
    }
    let k = config.prunedUnitCount(
      units: layout.unitCount, unitSize: layout.unitSize, alreadyPruned: alreadyPruned)
    let unitMask = scores.withUnsafeBufferPointer { scores in
      let keys = ScoreArrayKeys(scores: scores)
      return LowestKSelection.cut(keys, pruning: k, threads: threadCount)
        .mask(of: keys, threads: threadCount)
    }
    return layout.elementMask(from: unitMask)
  }
}

/// The exact check that a tensor holds no NaN or ±Inf weight.
private struct FiniteCheck<Scalar: PrunableScalar> {
  let values: UnsafeBufferPointer<Scalar>
  let name: String
  let threads: Int

  /// Counts the non-finite weights, throwing when there are any.
  func run() throws(PruningError) {
    try NonFiniteCount.check(values, name: name, threads: threads)
  }
}

/// A tensor after pruning and the mask of the elements it kept.
public struct PrunedTensor: Sendable, Hashable {
  /// The pruned tensor.
  public let tensor: WeightTensor
  /// Which of its elements were kept.
  public let mask: PruningMask
}
