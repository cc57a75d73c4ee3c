/// What to prune: how much, by which score, at which granularity, over which scope, and how
/// many weights must survive.
///
/// The number of units pruned is
/// ```
/// k = min(requested, units − ceil(minNonzero / unitSize))
/// requested = floor(sparsity × units)                  (iterative == nil, the reference rule)
///           = max(z, floor(sparsity × units))          (iterative == .total)
///           = z + floor(sparsity × (units − z))        (iterative == .remaining)
/// ```
/// where a unit is an element, a row, a column or a block, `unitSize` its element count
/// (the smallest block's for blocks), and z the units already all zero. Per-row scope applies
/// it to each row (units = columns, unitSize = rows); global scope to the union of the
/// tensors (unitSize = 1). N:M patterns prune exactly M − N of every M weights instead.
public struct PruningConfig: Sendable, Hashable, Codable {
  /// The fraction of units to prune, in [0, 1).
  public let sparsity: Double
  /// How units are scored.
  public let metric: ImportanceMetric
  /// What one unit is.
  public let granularity: PruningGranularity
  /// Which units are ranked against each other.
  public let scope: PruningScope
  /// How zeros already present count, for pruning in rounds; nil for the reference rule.
  public let iterative: IterativeMode?
  /// How many elements must stay nonzero at least (default 1).
  public let minNonzero: Int

  /// Creates a configuration, checking its ranges.
  ///
  /// - Parameters:
  ///   - sparsity: the fraction of units to prune, in [0, 1); NaN is rejected. Ignored for
  ///     an N:M pattern, whose sparsity (M − N) / M is stored instead.
  ///   - metric: how units are scored; default L1 magnitude.
  ///   - granularity: what one unit is; default single weights.
  ///   - scope: which units are ranked together; default each tensor on its own.
  ///   - iterative: how zeros already present count; default nil, the reference rule.
  ///   - minNonzero: how many elements survive at least; ≥ 0, default 1.
  /// - Throws: `PruningError.sparsityOutOfRange`, `.negativeMinNonzero`, `.invalidPattern`
  ///   (N:M needs 1 ≤ N < M), `.iterativePattern` (an N:M pattern fixes its count, whatever
  ///   zeros are present), `.scopeNeedsUnstructured` (per-row and global scopes rank
  ///   single weights).
  public init(
    sparsity: Double,
    metric: ImportanceMetric = .l1Magnitude,
    granularity: PruningGranularity = .unstructured,
    scope: PruningScope = .tensor,
    iterative: IterativeMode? = nil,
    minNonzero: Int = 1
  ) throws(PruningError) {
    var sparsity = sparsity
    if case .semiStructured(let keep, let group) = granularity {
      guard keep >= 1, keep < group else { throw .invalidPattern(keep: keep, group: group) }
      guard iterative == nil else { throw .iterativePattern(pattern: granularity.name) }
      // (M − N) / M is below 1, but rounds to 1 for M near Int.max: stored as the largest
      // Double below 1 then, so that it stays in range.
      sparsity = min(Double(group - keep) / Double(group), (1.0).nextDown)
    }
    guard sparsity >= 0, sparsity < 1 else { throw .sparsityOutOfRange(sparsity) }
    guard minNonzero >= 0 else { throw .negativeMinNonzero(minNonzero) }
    if scope != .tensor && granularity != .unstructured {
      throw .scopeNeedsUnstructured(scope: scope.rawValue, granularity: granularity.name)
    }
    self.sparsity = sparsity
    self.metric = metric
    self.granularity = granularity
    self.scope = scope
    self.iterative = iterative
    self.minNonzero = minNonzero
  }

  /// N:M semi-structured pruning: `keep` of every `group` consecutive weights along each
  /// row survive (`semiStructured(keep: 2, of: 4, …)` is 2:4).
  public static func semiStructured(
    keep: Int, of group: Int, metric: ImportanceMetric = .l1Magnitude
  ) throws(PruningError) -> PruningConfig {
    try PruningConfig(
      sparsity: 0, metric: metric, granularity: .semiStructured(keep: keep, of: group),
      minNonzero: 0)
  }

  /// Unstructured pruning by |w|: the most common configuration.
  public static func unstructuredL1(sparsity: Double) throws(PruningError) -> PruningConfig {
    try PruningConfig(sparsity: sparsity, metric: .l1Magnitude, granularity: .unstructured)
  }

  /// Whole output rows pruned by their L2 norm: the common structured configuration.
  public static func rowsL2(sparsity: Double) throws(PruningError) -> PruningConfig {
    try PruningConfig(sparsity: sparsity, metric: .l2Magnitude, granularity: .rows)
  }

  /// The number of units to prune out of `units`, each of at least `unitSize` elements, when
  /// `alreadyPruned` of them are all zero: see the type's formula.
  ///
  /// The caller has checked that `minNonzero` does not exceed `units × unitSize`.
  public func prunedUnitCount(units: Int, unitSize: Int, alreadyPruned: Int = 0) -> Int {
    let share = { (count: Int) in Int((self.sparsity * Double(count)).rounded(.down)) }
    let requested =
      switch iterative {
      case nil: share(units)
      case .total: max(alreadyPruned, share(units))
      case .remaining: alreadyPruned + share(units - alreadyPruned)
      }
    guard unitSize > 0 else { return 0 }
    // ceil(minNonzero / unitSize), without the overflow of minNonzero + unitSize − 1.
    let survivingUnits = minNonzero / unitSize + (minNonzero % unitSize == 0 ? 0 : 1)
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
      scope: container.decodeIfPresent(PruningScope.self, forKey: .scope) ?? .tensor,
      iterative: container.decodeIfPresent(IterativeMode.self, forKey: .iterative),
      minNonzero: container.decode(Int.self, forKey: .minNonzero))
  }
}
