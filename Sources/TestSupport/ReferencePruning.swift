// A brute-force reference for Bonsai's pruning rules, written straight from the rules and
// sharing no code with the library (this target does not depend on `Pruning`): scores
// computed element by element, norms in Double, the pruned units chosen by sorting
// (score, index) pairs. Slow and obviously right, so the fast library can be compared to it.

/// How a unit is scored, as the rules state it (mirrors the library's metrics).
public enum ReferenceMetric: Sendable, Hashable, CustomStringConvertible {
  /// |w| per element, Σ|w| per row or column.
  case l1
  /// w² per element (a `Float` product), the Euclidean norm per row or column.
  case l2
  /// The 64-bit LCG scores.
  case random(seed: UInt64)

  public var description: String {
    switch self {
    case .l1: "l1"
    case .l2: "l2"
    case .random(let seed): "random(\(seed))"
    }
  }
}

/// What one unit is, as the rules state it (mirrors the library's granularities).
public enum ReferenceGranularity: Sendable, Hashable {
  case unstructured, rows, columns
}

/// The rules of pruning, computed the slow way.
public enum ReferencePruning {
  // MARK: - How many

  /// k = floor(sparsity × units), capped so that at least `minNonzero` elements survive:
  /// at most units − ceil(minNonzero / unitSize), and never below 0.
  public static func prunedUnitCount(
    sparsity: Double, units: Int, unitSize: Int, minNonzero: Int
  ) -> Int {
    let requested = Int((sparsity * Double(units)).rounded(.down))
    let survivors = Int((Double(minNonzero) / Double(unitSize)).rounded(.up))
    return max(0, min(requested, units - survivors))
  }

  // MARK: - Which

  /// Which units the rule prunes (`true` = pruned): sort the (score, index) pairs and prune
  /// the first `k`. Scores compare as numbers (−0 equals +0); equal scores order by index.
  public static func prunedBySorting(_ scores: [Float], k: Int) -> [Bool] {
    var pruned = [Bool](repeating: false, count: scores.count)
    for index in pruningOrder(scores).prefix(k) { pruned[index] = true }
    return pruned
  }

  /// The same answer as `prunedBySorting`, by another route: the k-th lowest score t is
  /// found by sorting the scores alone; then every unit below t is pruned, and of those equal
  /// to t the lowest indices, until k are pruned. (The first k pairs of the sorted
  /// (score, index) list are exactly these.) Pass `sorted` when it is already known.
  public static func pruned(_ scores: [Float], k: Int, sorted: [Float]? = nil) -> [Bool] {
    var pruned = [Bool](repeating: false, count: scores.count)
    guard k > 0 else { return pruned }
    let threshold = (sorted ?? sortedScores(scores))[k - 1]
    var remaining = k - scores.reduce(0) { $0 + ($1 < threshold ? 1 : 0) }
    for index in scores.indices {
      if scores[index] < threshold {
        pruned[index] = true
      } else if scores[index] == threshold && remaining > 0 {
        pruned[index] = true
        remaining -= 1
      }
    }
    return pruned
  }

  /// The k-th lowest score (k ≥ 1).
  public static func kthLowest(_ scores: [Float], k: Int) -> Float {
    sortedScores(scores)[k - 1]
  }

  // MARK: - Scores

  /// One step of the reference LCG (Knuth's MMIX constants).
  public static func lcgStep(_ state: UInt64) -> UInt64 {
    state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
  }

  /// The score a state yields: its upper 32 bits over 2³², rounded to `Float`.
  public static func lcgScore(_ state: UInt64) -> Float {
    Float(UInt32(state >> 32)) / 4_294_967_296
  }

  /// Per-element random scores: element i takes the state after i + 1 steps from `seed`.
  public static func randomElementScores(seed: UInt64, count: Int) -> [Float] {
    var scores = [Float]()
    scores.reserveCapacity(count)
    var state = seed
    for _ in 0 ..< count {
      state = lcgStep(state)
      scores.append(lcgScore(state))
    }
    return scores
  }

  /// Per-unit random scores: unit u takes one step from `seed &+ u`.
  public static func randomUnitScores(seed: UInt64, units: Int) -> [Float] {
    (0 ..< units).map { lcgScore(lcgStep(seed &+ UInt64($0))) }
  }

  /// Per-element scores: |w| (L1) or the `Float` product w·w (L2), or the LCG's.
  public static func elementScores(_ values: [Float], metric: ReferenceMetric) -> [Float] {
    switch metric {
    case .l1: values.map { $0 < 0 ? -$0 : $0 }
    case .l2: values.map { $0 * $0 }
    case .random(let seed): randomElementScores(seed: seed, count: values.count)
    }
  }

  /// Σ|w| (L1) or √Σw² (L2) of each row of a row-major `rows × columns` matrix, in Double.
  public static func rowNorms(
    _ values: [Float], rows: Int, columns: Int, metric: ReferenceMetric
  ) -> [Double] {
    (0 ..< rows).map { row in
      norm((0 ..< columns).map { values[row * columns + $0] }, metric: metric)
    }
  }

  /// Σ|w| (L1) or √Σw² (L2) of each column of a row-major `rows × columns` matrix, in Double.
  public static func columnNorms(
    _ values: [Float], rows: Int, columns: Int, metric: ReferenceMetric
  ) -> [Double] {
    var sums = [Double](repeating: 0, count: columns)
    for row in 0 ..< rows {
      for column in 0 ..< columns {
        let weight = Double(values[row * columns + column])
        sums[column] += metric == .l1 ? Swift.abs(weight) : weight * weight
      }
    }
    return metric == .l1 ? sums : sums.map { $0.squareRoot() }
  }

  private static func norm(_ vector: [Float], metric: ReferenceMetric) -> Double {
    switch metric {
    case .l1: return vector.reduce(0) { $0 + Swift.abs(Double($1)) }
    default: return vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
  }

  // MARK: - Masks

  /// The element mask (`true` = kept) of a unit decision (`true` = pruned).
  public static func elementKept(
    unitPruned: [Bool], granularity: ReferenceGranularity, rows: Int, columns: Int
  ) -> [Bool] {
    (0 ..< rows * columns).map { index in
      switch granularity {
      case .unstructured: !unitPruned[index]
      case .rows: !unitPruned[index / columns]
      case .columns: !unitPruned[index % columns]
      }
    }
  }
}
