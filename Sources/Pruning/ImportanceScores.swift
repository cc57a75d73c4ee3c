/// The importance score of every unit of a tensor, and the threshold a pruning decision
/// drew among them.
public struct ImportanceScores: Sendable, Hashable {
  /// One score per unit (element, row or column), in unit order.
  public let values: [Float]
  /// The highest pruned score: the score of the k-th lowest unit, or 0 when no pruning
  /// decision was made (or it prunes nothing).
  public let threshold: Float
  /// How the scores were computed.
  public let metric: ImportanceMetric
  /// What the units are.
  public let granularity: PruningGranularity

  /// The fraction of scores at or below `threshold`, in [0, 1].
  ///
  /// It exceeds the pruned fraction when scores equal to the threshold were kept by the
  /// tie rule.
  public var fractionAtOrBelowThreshold: Double {
    guard !values.isEmpty else { return 0 }
    let atOrBelow = values.reduce(0) { $0 + ($1 <= threshold ? 1 : 0) }
    return Double(atOrBelow) / Double(values.count)
  }

  /// The `k` highest scores in descending order (all of them when `k` exceeds the count,
  /// none when it is 0 or less).
  ///
  /// - Complexity: O(n + k log k): the k-th highest is selected, not sorted for.
  public func topK(_ k: Int) -> [Float] {
    let k = min(k, values.count)
    guard k > 0 else { return [] }
    let rank = values.count - k
    return values.withUnsafeBufferPointer { scores in
      let keys = ScoreArrayKeys(scores: scores)
      let cut = LowestKSelection.cut(keys, pruning: rank, threads: 1)
      let kept = cut.mask(of: keys, threads: 1)
      return scores.indices.filter { kept[$0] }.map { scores[$0] }.sorted(by: >)
    }
  }

  /// Minimum, maximum, mean, median and standard deviation of the scores.
  public var statistics: ScoreStatistics { ScoreStatistics(values) }
}

extension Pruner {
  /// The scores of `tensor`'s units under this configuration, with the threshold of the
  /// units it would prune: the k-th lowest score, or for N:M and per-row groups the highest
  /// score a group prunes. The threshold follows the reference rule even for iterative
  /// configurations.
  ///
  /// - Parameter input: what the metric needs besides the weights, or nil.
  /// - Throws: as `prune(_:input:)`, without changing anything.
  public func importanceScores(of tensor: WeightTensor, input: ScoreInput? = nil)
    throws(PruningError) -> ImportanceScores
  {
    try importanceScores(
      of: tensor.values.span, shape: tensor.shape, name: tensor.name, input: input)
  }

  /// The scores of the units of `Float`, `Float16` or `BFloat16` weights read where they lie
  /// (a tensor of a memory-mapped checkpoint, say), with the threshold: as
  /// `importanceScores(of:input:)`.
  ///
  /// - Parameters:
  ///   - values: the weights, row-major; only read.
  ///   - shape: their shape; its product must equal `values.count`.
  ///   - name: the tensor's name, for error messages.
  ///   - input: what the metric needs besides the weights, or nil.
  public func importanceScores<Scalar: PrunableScalar>(
    of values: Span<Scalar>, shape: [Int], name: String, input: ScoreInput? = nil
  ) throws(PruningError) -> ImportanceScores {
    let layout = try checkedLayout(
      shape: shape, valueCount: values.count, name: name, input: input)
    let scoring = ElementScoring(config.metric, input: input, columns: layout.columns)
    let scores = try values.withUnsafeBufferPointer { values throws(PruningError) in
      // Only read.
      try Scoring(pruner: self, layout: layout, scoring: scoring, name: name)
        .runSpecialized(UnsafeMutableBufferPointer(mutating: values))
    }
    return ImportanceScores(
      values: scores, threshold: threshold(of: scores, layout: layout),
      metric: config.metric, granularity: config.granularity)
  }

  /// The score of every unit, materialised (pruning itself never materialises element
  /// scores), after checking the weights are finite; run specialised for their type.
  private struct Scoring: ScalarOperation {
    let pruner: Pruner
    let layout: UnitLayout
    let scoring: ElementScoring
    let name: String

    func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>)
      throws(PruningError) -> [Float]
    {
      let values = UnsafeBufferPointer(values)
      try NonFiniteCount.check(values, name: name, threads: pruner.threadCount)
      switch layout.units {
      case .elements, .groups:
        return [Float](unsafeUninitializedCapacity: values.count) { scores, initialized in
          scoring.scores(of: values, at: 0 ..< values.count, into: scores)
          initialized = values.count
        }
      case .rows, .columns, .blocks:
        return UnitScores.scores(
          of: values, layout: layout, metric: pruner.config.metric, scoring: scoring,
          threads: pruner.threadCount)
      }
    }
  }

  /// The highest score that pruning would remove, or 0 when it removes nothing.
  private func threshold(of scores: [Float], layout: UnitLayout) -> Float {
    scores.withUnsafeBufferPointer { scores in
      let keys = ScoreArrayKeys(scores: scores)
      guard case .groups(let size, let kept) = layout.units else {
        let k = config.prunedUnitCount(units: layout.unitCount, unitSize: layout.unitSize)
        return k == 0 ? 0 : ScoreKey.score(LowestKSelection.key(ofRank: k - 1, in: keys))
      }
      let mask = GroupedSelection.mask(
        of: keys, rows: layout.rows, columns: layout.columns, groupSize: size,
        countingZeros: false, threads: threadCount
      ) { _ in kept.map { size - $0 } ?? config.prunedUnitCount(units: size, unitSize: layout.rows) }
      return scores.indices.reduce(nil as Float?) { highest, index in
        mask[index] ? highest : max(highest ?? scores[index], scores[index])
      } ?? 0
    }
  }
}

extension WeightTensor {
  /// The importance of each unit of this tensor, with no pruning decision (threshold 0),
  /// except for an N:M pattern, which fixes its count: its threshold is the highest score its
  /// groups prune.
  ///
  /// - Parameter input: what the metric needs besides the weights, or nil.
  /// - Throws: `PruningError` for an empty tensor, a granularity its rank cannot take,
  ///   unfit score input, or non-finite weights.
  public func importanceScores(
    metric: ImportanceMetric, granularity: PruningGranularity = .unstructured,
    input: ScoreInput? = nil
  ) throws(PruningError) -> ImportanceScores {
    let config = try PruningConfig(
      sparsity: 0, metric: metric, granularity: granularity, minNonzero: 0)
    return try Pruner(config).importanceScores(of: self, input: input)
  }
}
