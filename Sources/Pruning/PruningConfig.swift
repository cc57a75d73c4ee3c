/// What to prune: how much, by which score, at which granularity, and how many weights
/// must survive.
///
/// The number of units pruned is
/// ```
/// k = min(floor(sparsity × units), units − ceil(minNonzero / unitSize))
/// ```
/// where a unit is an element, a row or a column and `unitSize` its element count.
public struct PruningConfig: Sendable, Hashable, Codable {
  /// The fraction of units to prune, in [0, 1).
  public let sparsity: Double
  /// How units are scored.
  public let metric: ImportanceMetric
  /// What one unit is.
  public let granularity: PruningGranularity
  /// How many elements must stay nonzero at least (default 1).
  public let minNonzero: Int

  /// Creates a configuration, checking its ranges.
  ///
  /// - Parameters:
  ///   - sparsity: the fraction of units to prune, in [0, 1); NaN is rejected.
  ///   - metric: how units are scored; default L1 magnitude.
  ///   - granularity: what one unit is; default single weights.
  ///   - minNonzero: how many elements survive at least; ≥ 0, default 1.
  /// - Throws: `PruningError.sparsityOutOfRange`, `PruningError.negativeMinNonzero`.
  public init(
    sparsity: Double,
    metric: ImportanceMetric = .l1Magnitude,
    granularity: PruningGranularity = .unstructured,
    minNonzero: Int = 1
  ) throws(PruningError) {
    guard sparsity >= 0, sparsity < 1 else { throw .sparsityOutOfRange(sparsity) }
    guard minNonzero >= 0 else { throw .negativeMinNonzero(minNonzero) }
    self.sparsity = sparsity
    self.metric = metric
    self.granularity = granularity
    self.minNonzero = minNonzero
  }

  /// Unstructured pruning by |w|: the most common configuration.
  public static func unstructuredL1(sparsity: Double) throws(PruningError) -> PruningConfig {
    try PruningConfig(sparsity: sparsity, metric: .l1Magnitude, granularity: .unstructured)
  }

  /// Whole output rows pruned by their L2 norm: the common structured configuration.
  public static func rowsL2(sparsity: Double) throws(PruningError) -> PruningConfig {
    try PruningConfig(sparsity: sparsity, metric: .l2Magnitude, granularity: .rows)
  }

  /// The number of units to prune out of `units`, each of `unitSize` elements:
  /// floor(sparsity × units), capped so that at least `minNonzero` elements survive.
  ///
  /// The caller has checked that `minNonzero` does not exceed `units × unitSize`.
  func prunedUnitCount(units: Int, unitSize: Int) -> Int {
    let requested = Int((sparsity * Double(units)).rounded(.down))
    guard unitSize > 0 else { return 0 }
    let survivingUnits = (minNonzero + unitSize - 1) / unitSize
    return max(0, min(requested, units - survivingUnits))
  }
}

extension PruningConfig {
  /// Decodes a configuration through the checking initializer, so that one read from a file
  /// cannot hold a sparsity or `minNonzero` that `init` rejects (such a value would ask the
  /// selection for more units than a tensor has).
  ///
  /// - Throws: `DecodingError` for missing or mistyped fields; `PruningError` for values out
  ///   of range.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      sparsity: container.decode(Double.self, forKey: .sparsity),
      metric: container.decode(ImportanceMetric.self, forKey: .metric),
      granularity: container.decode(PruningGranularity.self, forKey: .granularity),
      minNonzero: container.decode(Int.self, forKey: .minNonzero))
  }
}
