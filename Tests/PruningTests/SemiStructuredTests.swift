// N:M semi-structured sparsity: in every group of M consecutive weights along a row, the
// M − N lowest scores are pruned, the lower index first among equal scores — whether the
// group is ranked by counting (M ≤ 32) or by the general selection (M > 32), whatever the
// scalar type or thread count. Checked against `ReferenceMethods.nOfMPruned`.

import Testing
import TestSupport
@testable import Pruning

/// An N:M pattern on a shape whose rows split into its groups.
struct PatternCase: Sendable, CustomTestStringConvertible {
  let keep: Int
  let group: Int
  let shape: MatrixShape

  init(_ keep: Int, _ group: Int, _ rows: Int, _ columns: Int) {
    self.keep = keep
    self.group = group
    self.shape = MatrixShape(rows, columns)
  }

  var testDescription: String { "\(keep):\(group) on \(shape.testDescription)" }
}

private let patternCases: [PatternCase] = [
  .init(2, 4, 1, 8), .init(2, 4, 7, 12), .init(2, 4, 33, 64),
  .init(1, 4, 7, 12), .init(1, 4, 33, 64),
  .init(2, 4, 100, 12),  // bands of 16 rows whose masks share 64-bit words
  .init(4, 8, 5, 24), .init(3, 7, 9, 21), .init(1, 2, 7, 12),
  .init(31, 32, 3, 96),  // the largest group ranked by counting
  .init(1, 33, 4, 66),  // the smallest group ranked by the general selection
  .init(16, 64, 3, 128), .init(30, 40, 5, 80),
]

/// Prunes `values` with `keep:group` and `metric` and checks the mask and the zeros against
/// the reference on `scores`, at 1, 2 and 5 threads.
private func expectPattern(
  _ c: PatternCase, values: [Float], metric: ImportanceMetric, scores: [Float],
  sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let (rows, columns) = (c.shape.rows, c.shape.columns)
  let expected = ReferenceMethods.nOfMPruned(
    scores: scores, rows: rows, columns: columns, keep: c.keep, of: c.group)
  let config = try PruningConfig.semiStructured(keep: c.keep, of: c.group, metric: metric)
  for threads in [1, 2, 5] {
    var t = try tensor(values, shape: c.shape.dimensions)
    let mask = try Pruner(config, threadCount: threads).prune(&t)
    let label = "\(c.testDescription) \(metric) threads \(threads)"
    #expect(
      differences(prunedFlags(mask), expected) == nil, "\(label)",
      sourceLocation: sourceLocation)
    #expect(
      mask.prunedCount == c.shape.count / c.group * (c.group - c.keep), "\(label)",
      sourceLocation: sourceLocation)
    #expect(
      firstWrongValue(t.values, original: values, pruned: expected) == nil, "\(label)",
      sourceLocation: sourceLocation)
    #expect(
      ReferenceMethods.satisfiesNOfM(
        values: t.values, rows: rows, columns: columns, keep: c.keep, of: c.group),
      "\(label)", sourceLocation: sourceLocation)
  }
}

@Suite struct SemiStructuredTests {
  /// Each group prunes its M − N lowest |w|, w² or LCG scores, as the reference does, at any
  /// thread count; the pattern then holds in every group of the pruned values.
  @Test(arguments: patternCases)
  func randomWeightsFollowTheReference(_ c: PatternCase) throws {
    var generator = SeededGenerator(seed: 1_000 + UInt64(c.group * 100 + c.keep))
    let values = generator.uniformFloats(c.shape.count, in: -2 ... 2)
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude, .random(seed: 17)] {
      let scores = ReferencePruning.elementScores(values, metric: metric.reference)
      try expectPattern(c, values: values, metric: metric, scores: scores)
    }
  }

  /// Heavy ties: with a few distinct values, or all weights equal, each group prunes its
  /// lowest-index weights among equal scores.
  @Test(arguments: patternCases)
  func tiesPruneTheLowerIndexFirst(_ c: PatternCase) throws {
    var generator = SeededGenerator(seed: 2_000 + UInt64(c.group * 100 + c.keep))
    let tied = fastTiedFloats(&generator, c.shape.count, distinct: 3)
    try expectPattern(
      c, values: tied, metric: .l1Magnitude,
      scores: ReferencePruning.elementScores(tied, metric: .l1))
    // All equal: the first M − N of every group go.
    let equal = [Float](repeating: -0.5, count: c.shape.count)
    var t = try tensor(equal, shape: c.shape.dimensions)
    let mask = try Pruner(try .semiStructured(keep: c.keep, of: c.group)).prune(&t)
    let expected = (0 ..< c.shape.count).map { $0 % c.group < c.group - c.keep }
    #expect(prunedFlags(mask) == expected)
  }

  /// A 2:4 case worked by hand: per group of four, the two smallest |w| go (0 before 1 and
  /// 0.1 before 0.5); a tie of 4 and −4 keeps both since neither is among the two lowest.
  @Test func twoOfFourByHand() throws {
    var t = try tensor([0.5, -3, 2, 0.1, 4, -4, 0, 1, 1, 1, 1, 1], shape: [1, 12])
    let mask = try Pruner(try .semiStructured(keep: 2, of: 4)).prune(&t)
    #expect(t.values == [0, -3, 2, 0, 4, -4, 0, 0, 0, 0, 1, 1])
    #expect(keptFlags(mask) == [
      false, true, true, false, true, true, false, false, false, false, true, true,
    ])
  }

  /// Float16 and bfloat16 buffers are pruned with the mask of their widened Float copy; kept
  /// elements keep their bits and pruned ones become +0.
  @Test(arguments: [
    PatternCase(2, 4, 7, 12), PatternCase(3, 7, 9, 21), PatternCase(16, 64, 3, 128),
  ])
  func halfPrecisionMatchesTheWidenedCopy(_ c: PatternCase) throws {
    var generator = SeededGenerator(seed: 3_000 + UInt64(c.group))
    let floats = generator.uniformFloats(c.shape.count, in: -3 ... 3)
    let config = try PruningConfig.semiStructured(keep: c.keep, of: c.group, metric: .l2Magnitude)
    try expectNarrowAgrees(floats.map { Float16($0) }, c, config)
    try expectNarrowAgrees(floats.map { BFloat16($0) }, c, config)
  }

  private func expectNarrowAgrees<Scalar: PrunableScalar>(
    _ narrow: [Scalar], _ c: PatternCase, _ config: PruningConfig
  ) throws {
    for threads in [1, 3] {
      let p = Pruner(config, threadCount: threads)
      var pruned = narrow
      let mask = try pruneSpan(p, &pruned, shape: c.shape.dimensions)
      var wide = try tensor(narrow.map(\.widened), shape: c.shape.dimensions)
      #expect(try mask == p.prune(&wide), "\(Scalar.self) threads \(threads)")
      let wrong = narrow.indices.filter { index in
        scalarBits(pruned[index]) != (mask[index] ? scalarBits(narrow[index]) : 0)
      }
      #expect(wrong.isEmpty, "\(Scalar.self): wrong bits at \(wrong.prefix(5))")
    }
  }

  /// The threshold reported for an N:M configuration is the highest score any group prunes,
  /// and the scores are the element scores.
  @Test func importanceScoresReportTheHighestPrunedScore() throws {
    var generator = SeededGenerator(seed: 3_100)
    let values = generator.uniformFloats(7 * 12)
    let t = try tensor(values, shape: [7, 12])
    let scores = try Pruner(try .semiStructured(keep: 1, of: 4)).importanceScores(of: t)
    let reference = ReferencePruning.elementScores(values, metric: .l1)
    #expect(scores.values == reference)
    let pruned = ReferenceMethods.nOfMPruned(
      scores: reference, rows: 7, columns: 12, keep: 1, of: 4)
    #expect(scores.threshold == indices(where: pruned).map { reference[$0] }.max())
  }

  /// N:M needs 1 ≤ N < M; the configuration stores the pattern's own sparsity (M − N) / M
  /// whatever sparsity was passed; iterative modes, per-row and global scopes reject it.
  @Test func patternArgumentsAreChecked() throws {
    for (keep, group) in [(4, 4), (0, 4), (5, 4), (-1, 2), (1, 1), (0, 0)] {
      #expect(throws: PruningError.invalidPattern(keep: keep, group: group)) {
        try PruningConfig.semiStructured(keep: keep, of: group)
      }
    }
    let config = try PruningConfig(
      sparsity: 0.9, granularity: .semiStructured(keep: 3, of: 8), minNonzero: 0)
    #expect(config.sparsity == 5.0 / 8)
    #expect(try PruningConfig.semiStructured(keep: 2, of: 4).minNonzero == 0)
    for mode in IterativeMode.allCases {
      #expect(throws: PruningError.iterativePattern(pattern: "2:4")) {
        try PruningConfig(
          sparsity: 0.5, granularity: .semiStructured(keep: 2, of: 4), iterative: mode)
      }
    }
    for scope in [PruningScope.perRow, .global] {
      #expect(
        throws: PruningError.scopeNeedsUnstructured(scope: scope.rawValue, granularity: "2:4")
      ) {
        try PruningConfig(
          sparsity: 0.5, granularity: .semiStructured(keep: 2, of: 4), scope: scope)
      }
    }
  }

  /// A row length that is not a multiple of M, or a tensor that is not a matrix, is an error
  /// and the tensor is left unchanged.
  @Test func shapesThatCannotTakeThePatternThrow() throws {
    let p = Pruner(try .semiStructured(keep: 2, of: 4))
    let values: [Float] = (1 ... 30).map { Float($0) }
    var t = try tensor(values, shape: [3, 10], name: "w")
    #expect(throws: PruningError.rowNotDivisible(name: "w", columns: 10, group: 4)) {
      try p.prune(&t)
    }
    #expect(t.values == values)
    var flat = try tensor(Array(values[0 ..< 8]), name: "v")
    #expect(throws: PruningError.notAMatrix(name: "v", shape: [8], granularity: "2:4")) {
      try p.prune(&flat)
    }
  }

  /// A non-finite weight is an error for N:M too (the grouped selection keeps no count of
  /// its own), and the tensor is unchanged.
  @Test func nonFiniteWeightsThrow() throws {
    var values = [Float](repeating: 1, count: 16)
    values[5] = .nan
    values[11] = .infinity
    var t = try tensor(values, shape: [2, 8])
    #expect(throws: PruningError.nonFiniteWeights(name: "t", count: 2)) {
      try Pruner(try .semiStructured(keep: 2, of: 4)).prune(&t)
    }
    #expect(bitIdentical(t.values, values))
  }
}
