// The one pipeline behind every kind of pruning:
//   define units → score units → select the k lowest → expand to an element mask → apply.
// Unstructured magnitude and random scores are never materialised: their keys are computed
// from the weights as each pass reads them, and the pruned weights are zeroed in the same
// pass that decides the mask. Row and column scores (one per unit) go through CBLAS.

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

  /// A pruner for `config` using `threadCount` threads (default: the active processors).
  public init(_ config: PruningConfig, threadCount: Int? = nil) {
    self.config = config
    self.threadCount = max(1, threadCount ?? Parallel.defaultThreadCount)
  }

  /// Prunes `tensor` in place and returns the mask of kept elements.
  ///
  /// - Throws: `PruningError` for an empty tensor, a granularity its rank cannot take,
  ///   `minNonzero` above its element count, or non-finite weights; the tensor is then
  ///   unchanged.
  /// - Complexity: O(n); extra memory n/8 bytes for the mask (one bit per weight) and, while
  ///   selecting, at most n/8 candidate keys.
  @discardableResult
  public func prune(_ tensor: inout WeightTensor) throws(PruningError) -> PruningMask {
    let (name, shape) = (tensor.name, tensor.shape)
    return try tensor.values.withUnsafeMutableBufferPointer { values throws(PruningError) in
      try prune(values, shape: shape, name: name)
    }
  }

  /// A pruned copy of `tensor` and its mask; `tensor` itself is unchanged.
  public func pruned(_ tensor: WeightTensor) throws(PruningError) -> PrunedTensor {
    var copy = tensor
    let mask = try prune(&copy)
    return PrunedTensor(tensor: copy, mask: mask)
  }

  /// Prunes every tensor of a model in place, each with this configuration, and returns
  /// their masks in order. On error the model is left unchanged.
  @discardableResult
  public func prune(_ model: inout [WeightTensor]) throws(PruningError) -> [PruningMask] {
    var pruned = model
    var masks = [PruningMask]()
    masks.reserveCapacity(model.count)
    for index in pruned.indices { masks.append(try prune(&pruned[index])) }
    model = pruned
    return masks
  }

  /// Prunes weights held in any buffer of `Float`, `Float16` or `BFloat16` in place —
  /// a tensor of a memory-mapped checkpoint, say — without widening or copying them.
  ///
  /// - Parameters:
  ///   - values: the weights, row-major.
  ///   - shape: their shape; its product must equal `values.count`.
  ///   - name: the tensor's name, for error messages.
  public func prune<Scalar: PrunableScalar>(
    _ values: inout MutableSpan<Scalar>, shape: [Int], name: String
  ) throws(PruningError) -> PruningMask {
    try values.withUnsafeMutableBufferPointer { values throws(PruningError) in
      try Operation(pruner: self, shape: shape, name: name).runSpecialized(values)
    }
  }

  /// Pruning as a `ScalarOperation`, so that the public generic entry runs specialised.
  private struct Operation: ScalarOperation {
    let pruner: Pruner
    let shape: [Int]
    let name: String

    func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>)
      throws(PruningError) -> PruningMask
    {
      try pruner.prune(values, shape: shape, name: name)
    }
  }

  /// The pipeline on a buffer.
  ///
  /// Non-finite weights are an error, found without a pass of their own wherever the scoring
  /// pass reads the weights anyway: a NaN or ±Inf weight makes its magnitude key, or its
  /// row's or column's norm, non-finite. Only then are they counted exactly (a huge finite
  /// weight can overflow a w² key or a sum; the count tells the two apart). Random scores
  /// never read the weights, so for them the weights are checked first.
  func prune<Scalar: PrunableScalar>(
    _ values: UnsafeMutableBufferPointer<Scalar>, shape: [Int], name: String
  ) throws(PruningError) -> PruningMask {
    let layout = try UnitLayout(
      shape: shape, valueCount: values.count, name: name, config: config)
    let readable = UnsafeBufferPointer(values)
    let k = config.prunedUnitCount(units: layout.unitCount, unitSize: layout.unitSize)
    let check = FiniteCheck(values: readable, name: name, threads: threadCount)
    if case .random = config.metric { try check.run() }

    switch (config.granularity, config.metric) {
    case (.unstructured, .l1Magnitude):
      let keys = MagnitudeKeys(values: readable, squared: false)
      return try pruneElements(values, k: k, keys: keys, check: check)
    case (.unstructured, .l2Magnitude), (.unstructured, .taylorProxy):
      let keys = MagnitudeKeys(values: readable, squared: true)
      return try pruneElements(values, k: k, keys: keys, check: check)
    case (.unstructured, .random(let seed)):
      let keys = RandomElementKeys(seed: seed, count: values.count)
      return try pruneElements(values, k: k, keys: keys, check: nil)
    case (.rows, _), (.columns, _):
      break
    }
    let scores = UnitScores.scores(
      of: readable, rows: layout.rows, columns: layout.columns,
      granularity: config.granularity, metric: config.metric, threads: threadCount)
    if scores.contains(where: { !$0.isFinite }) { try check.run() }
    let unitMask = scores.withUnsafeBufferPointer { scores in
      let keys = ScoreArrayKeys(scores: scores)
      return LowestKSelection.cut(keys, pruning: k, threads: threadCount)
        .mask(of: keys, threads: threadCount)
    }
    let mask = layout.elementMask(from: unitMask)
    mask.apply(to: values, threads: threadCount)
    return mask
  }

  /// Unstructured pruning: selects the k lowest element keys, then decides the mask and
  /// zeroes the pruned elements in the same pass, block by block while they are in cache.
  /// `check` runs unless the selection saw no key of a non-finite magnitude.
  private func pruneElements<Scalar: PrunableScalar, Keys: KeySource>(
    _ values: UnsafeMutableBufferPointer<Scalar>, k: Int, keys: Keys, check: FiniteCheck<Scalar>?
  ) throws(PruningError) -> PruningMask {
    let cut = LowestKSelection.cut(keys, pruning: k, threads: threadCount)
    if let check, cut.nonFiniteKeys != 0 { try check.run() }
    return cut.mask(of: keys, threads: threadCount) { start, kept in
      PruningMask.zero(values, from: start, keeping: kept)
    }
  }
}

/// The exact check that a tensor holds no NaN or ±Inf weight.
private struct FiniteCheck<Scalar: PrunableScalar> {
  let values: UnsafeBufferPointer<Scalar>
  let name: String
  let threads: Int

  /// Counts the non-finite weights, throwing when there are any.
  func run() throws(PruningError) {
    let count = NonFiniteCount.count(values, threads: threads)
    guard count == 0 else { throw .nonFiniteWeights(name: name, count: count) }
  }
}

/// A tensor after pruning and the mask of the elements it kept.
public struct PrunedTensor: Sendable, Hashable {
  /// The pruned tensor.
  public let tensor: WeightTensor
  /// Which of its elements were kept.
  public let mask: PruningMask
}
