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

  /// The `k` highest scores in descending order (all of them when `k` exceeds the count).
  ///
  /// - Complexity: O(n + k log k): the k-th highest is selected, not sorted for.
  public func topK(_ k: Int) -> [Float] {
    precondition(k >= 0, "topK of a negative count \(k)")
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
  /// The scores of `tensor`'s units under this configuration, with the threshold of the k
  /// units it would prune.
  ///
  /// - Throws: as `prune(_:)`, without changing anything.
  public func importanceScores(of tensor: WeightTensor) throws(PruningError) -> ImportanceScores {
    let layout = try UnitLayout(
      shape: tensor.shape, valueCount: tensor.count, name: tensor.name, config: config)
    let values = try tensor.values.withUnsafeBufferPointer { values throws(PruningError) in
      let nonFinite = NonFiniteCount.count(values, threads: threadCount)
      guard nonFinite == 0 else { throw .nonFiniteWeights(name: tensor.name, count: nonFinite) }
      return unitScores(values, layout: layout)
    }
    let k = config.prunedUnitCount(units: layout.unitCount, unitSize: layout.unitSize)
    let threshold = k == 0 ? 0 : values.withUnsafeBufferPointer { scores in
      ScoreKey.score(LowestKSelection.key(ofRank: k - 1, in: ScoreArrayKeys(scores: scores)))
    }
    return ImportanceScores(
      values: values, threshold: threshold, metric: config.metric,
      granularity: config.granularity)
  }

  /// The score of every unit, materialised (pruning itself never materialises element
  /// scores).
  private func unitScores(_ values: UnsafeBufferPointer<Float>, layout: UnitLayout) -> [Float] {
    switch (config.granularity, config.metric) {
    case (.unstructured, .l1Magnitude): values.map { abs($0) }
    case (.unstructured, .l2Magnitude), (.unstructured, .taylorProxy): values.map { $0 * $0 }
    case (.unstructured, .random(let seed)):
      RandomScores.elementScores(seed: seed, count: values.count)
    default:
      UnitScores.scores(
        of: values, rows: layout.rows, columns: layout.columns,
        granularity: config.granularity, metric: config.metric, threads: threadCount)
    }
  }
}

extension WeightTensor {
  /// The importance of each unit of this tensor, with no pruning decision (threshold 0).
  ///
  /// - Throws: `PruningError` for an empty tensor, a granularity its rank cannot take, or
  ///   non-finite weights.
  public func importanceScores(
    metric: ImportanceMetric, granularity: PruningGranularity = .unstructured
  ) throws(PruningError) -> ImportanceScores {
    let config = try PruningConfig(
      sparsity: 0, metric: metric, granularity: granularity, minNonzero: 0)
    return try Pruner(config).importanceScores(of: self)
  }
}
