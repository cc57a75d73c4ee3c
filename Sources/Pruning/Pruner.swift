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
  /// - Complexity: O(n); extra memory about n/32 bytes for the mask.
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
  func prune<Scalar: PrunableScalar>(
    _ values: UnsafeMutableBufferPointer<Scalar>, shape: [Int], name: String
  ) throws(PruningError) -> PruningMask {
    let layout = try UnitLayout(
      shape: shape, valueCount: values.count, name: name, config: config)
    let readable = UnsafeBufferPointer(values)
    let nonFinite = NonFiniteCount.count(readable, threads: threadCount)
    guard nonFinite == 0 else { throw .nonFiniteWeights(name: name, count: nonFinite) }
    let k = config.prunedUnitCount(units: layout.unitCount, unitSize: layout.unitSize)

    switch (config.granularity, config.metric) {
    case (.unstructured, .l1Magnitude):
      return pruneElements(values, k: k, keys: MagnitudeKeys(values: readable, squared: false))
    case (.unstructured, .l2Magnitude), (.unstructured, .taylorProxy):
      return pruneElements(values, k: k, keys: MagnitudeKeys(values: readable, squared: true))
    case (.unstructured, .random(let seed)):
      return pruneElements(values, k: k, keys: RandomElementKeys(seed: seed, count: values.count))
    case (.rows, _), (.columns, _):
      break
    }
    let scores = UnitScores.scores(
      of: readable, rows: layout.rows, columns: layout.columns,
      granularity: config.granularity, metric: config.metric, threads: threadCount)
    let unitMask = scores.withUnsafeBufferPointer { scores in
      let keys = ScoreArrayKeys(scores: scores)
      return LowestKSelection.cut(keys, pruning: k, threads: threadCount)
        .mask(of: keys, threads: threadCount)
    }
    let mask = layout.elementMask(from: unitMask)
    mask.apply(to: values)
    return mask
  }

  /// Unstructured pruning: selects the k lowest element keys, then decides the mask and
  /// zeroes the pruned elements in the same pass, word by word while they are in cache.
  private func pruneElements<Scalar: PrunableScalar, Keys: KeySource>(
    _ values: UnsafeMutableBufferPointer<Scalar>, k: Int, keys: Keys
  ) -> PruningMask {
    values.withMemoryRebound(to: Scalar.Bits.self) { bits in
      LowestKSelection.cut(keys, pruning: k, threads: threadCount)
        .mask(of: keys, threads: threadCount) { start, kept in
          if kept != .max { PruningMask.zero(bits, from: start, keeping: kept) }
        }
    }
  }
}


/// A tensor after pruning and the mask of the elements it kept.
public struct PrunedTensor: Sendable, Hashable {
  /// The pruned tensor.
  public let tensor: WeightTensor
  /// Which of its elements were kept.
  public let mask: PruningMask
}
