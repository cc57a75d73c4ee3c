// Per-row scope: each row of a matrix is ranked on its own, as Wanda prunes, and every row
// loses exactly k = min(floor(s × columns), columns − ceil(minNonzero / rows)) weights, the
// lower index first among ties. Checked against `ReferenceMethods.perRowPruned` for rows of
// up to 32 (ranked by counting), longer ones, and one longer than the sampled selection's
// threshold (1 << 15).

import Testing
import TestSupport
@testable import Pruning

/// Rows of up to 32 and beyond, a band of many rows sharing mask words (130 × 9), and
/// rows longer than the sampled selection's threshold.
private let perRowShapes: [MatrixShape] =
  awkwardShapes + [.init(130, 9), .init(3, 100), .init(2, 40_000)]

/// A per-row configuration.
private func perRow(
  _ sparsity: Double, _ metric: ImportanceMetric = .l1Magnitude, minNonzero: Int = 1,
  iterative: IterativeMode? = nil
) throws -> PruningConfig {
  try PruningConfig(
    sparsity: sparsity, metric: metric, scope: .perRow, iterative: iterative,
    minNonzero: minNonzero)
}

@Suite struct PerRowTests {
  /// Under L1, L2, random and Wanda scores each row prunes its k lowest, as the reference
  /// does, with the minNonzero cap spread over the rows; the thread count does not matter.
  @Test(arguments: perRowShapes)
  func rowsAreRankedOnTheirOwn(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 5_000 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count, in: -3 ... 3)
    let norms = generator.uniformFloats(shape.columns, in: 0 ... 2)
    let large = shape.count > 10_000
    let metrics: [(ImportanceMetric, ScoreInput?, [Float])] = [
      (.l1Magnitude, nil, ReferencePruning.elementScores(values, metric: .l1)),
      (.l2Magnitude, nil, ReferencePruning.elementScores(values, metric: .l2)),
      (.random(seed: 5), nil, ReferencePruning.randomElementScores(seed: 5, count: shape.count)),
      (.wanda, .inputNorms(norms),
        ReferenceMethods.wandaScores(weights: values, columns: shape.columns, inputNorms: norms)),
    ]
    for (metric, input, scores) in metrics {
      for sparsity in large ? [0.37] : [0.25, 0.5, 0.77] {
        for minNonzero in large ? [1] : [1, shape.count / 2, shape.count] {
          let expected = ReferenceMethods.perRowPruned(
            scores: scores, rows: shape.rows, columns: shape.columns, sparsity: sparsity,
            minNonzero: minNonzero)
          let perRowK = expected.prefix(shape.columns).filter { $0 }.count
          let config = try perRow(sparsity, metric, minNonzero: minNonzero)
          for threads in large ? [2, 3] : [1, 3] {
            var t = try tensor(values, shape: shape.dimensions)
            let mask = try Pruner(config, threadCount: threads).prune(&t, input: input)
            let label = "\(metric) s \(sparsity) mnz \(minNonzero) threads \(threads)"
            let pruned = prunedFlags(mask)
            #expect(differences(pruned, expected) == nil, "\(label)")
            #expect(firstWrongValue(t.values, original: values, pruned: expected) == nil)
            // Every row loses the same number.
            for row in 0 ..< shape.rows {
              let lost = pruned[row * shape.columns ..< (row + 1) * shape.columns]
                .filter { $0 }.count
              #expect(lost == perRowK, "\(label) row \(row)")
            }
          }
        }
      }
    }
  }

  /// Ties within a row (few distinct values, long rows too) prune the lower columns first.
  @Test(arguments: [MatrixShape(7, 12), .init(4, 300), .init(1, 40_000)])
  func tiesWithinARowPruneTheLowerColumnsFirst(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 5_100 + UInt64(shape.count))
    let values = fastTiedFloats(&generator, shape.count, distinct: 3)
    let scores = ReferencePruning.elementScores(values, metric: .l1)
    for sparsity in [0.3, 0.6] {
      let expected = ReferenceMethods.perRowPruned(
        scores: scores, rows: shape.rows, columns: shape.columns, sparsity: sparsity,
        minNonzero: 1)
      var t = try tensor(values, shape: shape.dimensions)
      let mask = try Pruner(try perRow(sparsity), threadCount: 2).prune(&t)
      #expect(differences(prunedFlags(mask), expected) == nil, "sparsity \(sparsity)")
    }
  }

  /// Worked by hand: a row of large weights and a row of small ones each lose half, where
  /// tensor scope would have taken the whole small row.
  @Test func perRowDiffersFromTensorScopeByHand() throws {
    let values: [Float] = [10, 20, 30, 40, 1, 2, 3, 4]
    var t = try tensor(values, shape: [2, 4])
    try Pruner(try perRow(0.5)).prune(&t)
    #expect(t.values == [0, 0, 30, 40, 0, 0, 3, 4])
    var whole = try tensor(values, shape: [2, 4])
    try Pruner(try .unstructuredL1(sparsity: 0.5)).prune(&whole)
    #expect(whole.values == [10, 20, 30, 40, 0, 0, 0, 0])
  }

  /// The threshold of a per-row configuration is the highest score any row prunes.
  @Test func thresholdIsTheHighestPrunedScore() throws {
    var generator = SeededGenerator(seed: 5_200)
    let values = generator.uniformFloats(33 * 64)
    let t = try tensor(values, shape: [33, 64])
    let scores = try Pruner(try perRow(0.4)).importanceScores(of: t)
    let reference = ReferencePruning.elementScores(values, metric: .l1)
    #expect(scores.values == reference)
    let pruned = ReferenceMethods.perRowPruned(
      scores: reference, rows: 33, columns: 64, sparsity: 0.4, minNonzero: 1)
    #expect(scores.threshold == indices(where: pruned).map { reference[$0] }.max())
  }

  /// Iterating per row, each row counts its own zeros (+0 and −0) as already pruned, and
  /// prunes them first: row by row, the reference's iterative step.
  @Test(arguments: IterativeMode.allCases)
  func iterativePerRowCountsZerosPerRow(mode: IterativeMode) throws {
    var generator = SeededGenerator(seed: 5_300)
    let shape = MatrixShape(9, 50)
    let values = valuesWithZeros(&generator, shape.count, zeroFraction: 0.3)
    let referenceMode: ReferenceIterativeMode = mode == .total ? .total : .remaining
    for sparsity in [0.1, 0.4, 0.7] {
      var expected = [Bool]()
      for row in 0 ..< shape.rows {
        let rowValues = Array(values[row * shape.columns ..< (row + 1) * shape.columns])
        expected += ReferenceMethods.iterativePruned(
          weights: rowValues, scores: ReferencePruning.elementScores(rowValues, metric: .l1),
          sparsity: sparsity, mode: referenceMode)
      }
      let config = try perRow(sparsity, minNonzero: 0, iterative: mode)
      var t = try tensor(values, shape: shape.dimensions)
      let mask = try Pruner(config, threadCount: 2).prune(&t)
      #expect(prunedFlags(mask) == expected, "\(mode) \(sparsity)")
      #expect(firstWrongValue(t.values, original: values, pruned: expected) == nil)
    }
  }

  /// Per-row scope needs a matrix and unstructured granularity.
  @Test func perRowErrors() throws {
    for granularity in [PruningGranularity.rows, .columns] {
      #expect(
        throws: PruningError.scopeNeedsUnstructured(
          scope: "per-row", granularity: granularity.name)
      ) {
        try PruningConfig(sparsity: 0.5, granularity: granularity, scope: .perRow)
      }
    }
    var flat = try tensor([1, 2, 3, 4], name: "v")
    #expect(throws: PruningError.notAMatrix(name: "v", shape: [4], granularity: "per-row")) {
      try Pruner(try perRow(0.5)).prune(&flat)
    }
    #expect(flat.values == [1, 2, 3, 4])
  }
}
