// Iterative pruning: units already all zero (+0 or −0) count as pruned and go first; then
// `.total` prunes up to max(z, floor(s × units)) and `.remaining` z + floor(s × (units − z)),
// PyTorch's convention (two rounds of 0.2 reach 0.36). Checked against
// `ReferenceMethods.iterativePruned` for elements, rows, columns and blocks, every metric
// and the global scope.

import Testing
import TestSupport
@testable import Pruning

private func referenceMode(_ mode: IterativeMode) -> ReferenceIterativeMode {
  mode == .total ? .total : .remaining
}

/// A configuration pruning in rounds, with no minNonzero cap (the reference has none).
private func iterative(
  _ sparsity: Double, _ mode: IterativeMode, metric: ImportanceMetric = .l1Magnitude,
  granularity: PruningGranularity = .unstructured, scope: PruningScope = .tensor
) throws -> PruningConfig {
  try PruningConfig(
    sparsity: sparsity, metric: metric, granularity: granularity, scope: scope,
    iterative: mode, minNonzero: 0)
}

@Suite struct IterativeTests {
  /// Unstructured rounds under L1, L2, random and Wanda scores on tensors with +0 and −0
  /// already present (a long one too, where zeros tie in every chunk) prune as the reference
  /// does; pruned elements become +0, −0 included.
  @Test(arguments: [MatrixShape(1, 8), .init(7, 12), .init(33, 64), .init(1, 70_000)],
    IterativeMode.allCases)
  func elementRoundsFollowTheReference(_ shape: MatrixShape, mode: IterativeMode) throws {
    var generator = SeededGenerator(seed: 8_000 + UInt64(shape.count))
    let values = valuesWithZeros(&generator, shape.count, zeroFraction: 0.3)
    var norms = generator.uniformFloats(shape.columns, in: 0 ... 2)
    norms[shape.columns - 1] = 0  // nonzero weights scored 0 still rank after the zeros
    let metrics: [(ImportanceMetric, ScoreInput?, [Float])] = [
      (.l1Magnitude, nil, ReferencePruning.elementScores(values, metric: .l1)),
      (.l2Magnitude, nil, ReferencePruning.elementScores(values, metric: .l2)),
      (.random(seed: 8), nil, ReferencePruning.randomElementScores(seed: 8, count: shape.count)),
      (.wanda, .inputNorms(norms),
        ReferenceMethods.wandaScores(weights: values, columns: shape.columns, inputNorms: norms)),
    ]
    let large = shape.count > 10_000
    for (metric, input, scores) in metrics {
      for sparsity in large ? [0.5] : [0.1, 0.25, 0.5, 0.9] {
        let expected = ReferenceMethods.iterativePruned(
          weights: values, scores: scores, sparsity: sparsity, mode: referenceMode(mode))
        let config = try iterative(sparsity, mode, metric: metric)
        for threads in large ? [3] : [1, 2] {
          var t = try tensor(values, shape: shape.dimensions)
          let mask = try Pruner(config, threadCount: threads).prune(&t, input: input)
          let label = "\(metric) \(mode) \(sparsity) threads \(threads)"
          #expect(differences(prunedFlags(mask), expected) == nil, "\(label)")
          #expect(firstWrongValue(t.values, original: values, pruned: expected) == nil, "\(label)")
        }
      }
    }
  }

  /// Two rounds of 0.2 of the remaining weights prune 20, then 36 of 100; two rounds of
  /// total sparsity 0.2 and 0.36 reach the same count.
  @Test func twoRoundsOfRemainingReachThirtySixPercent() throws {
    var generator = SeededGenerator(seed: 8_100)
    let values = generator.uniformFloats(100, in: 0.5 ... 1)
    var remaining = try tensor(values, shape: [10, 10])
    let first = try Pruner(try iterative(0.2, .remaining)).prune(&remaining)
    #expect(first.prunedCount == 20)
    let second = try Pruner(try iterative(0.2, .remaining)).prune(&remaining)
    #expect(second.prunedCount == 36)
    // The second round keeps the first round's zeros pruned.
    #expect((0 ..< 100).allSatisfy { first[$0] || !second[$0] })
    // Without `iterative`, the second round would prune 20 again, the zeros among them.
    var plain = try tensor(values, shape: [10, 10])
    try Pruner(try .unstructuredL1(sparsity: 0.2)).prune(&plain)
    #expect(try Pruner(try .unstructuredL1(sparsity: 0.2)).prune(&plain).prunedCount == 20)

    var total = try tensor(values, shape: [10, 10])
    #expect(try Pruner(try iterative(0.2, .total)).prune(&total).prunedCount == 20)
    let reached = try Pruner(try iterative(0.36, .total)).prune(&total)
    #expect(reached == second)
  }

  /// In total mode a tensor already sparser than asked loses nothing more: its zeros stay
  /// pruned and every nonzero weight keeps its bits; −0 becomes +0.
  @Test func totalModeNeverPrunesBelowTheZerosPresent() throws {
    var generator = SeededGenerator(seed: 8_200)
    let values = valuesWithZeros(&generator, 200, zeroFraction: 0.5)
    let zeros = values.filter { $0 == 0 }.count
    #expect(zeros > 60)
    var t = try tensor(values)
    let mask = try Pruner(try iterative(0.3, .total)).prune(&t)
    #expect(mask.prunedCount == zeros)
    let wasZero = values.map { $0 == 0 }
    #expect(prunedFlags(mask) == wasZero)
    #expect(firstWrongValue(t.values, original: values, pruned: wasZero) == nil)
  }

  /// Rows, columns and blocks that are all zero count as pruned and go first, under L2 and
  /// random unit scores, exactly as the reference's iterative step over the units.
  @Test(arguments: IterativeMode.allCases)
  func zeroUnitsCountAsPruned(mode: IterativeMode) throws {
    var generator = SeededGenerator(seed: 8_300)
    let shape = MatrixShape(12, 10)
    let block = try BlockShape(rows: 5, columns: 3)
    for granularity in [PruningGranularity.rows, .columns, .blocks(block)] {
      var values = generator.uniformFloats(shape.count, in: -1 ... 1)
      // Zero units: rows 2 and 7, columns 0 and 5, blocks 0 and 5 (+0 and −0 mixed); a
      // few scattered zeros that empty no unit.
      for index in values.indices {
        let (row, column) = (index / shape.columns, index % shape.columns)
        let zeroed: Bool
        switch granularity {
        case .rows: zeroed = row == 2 || row == 7
        case .columns: zeroed = column == 0 || column == 5
        default: zeroed = [0, 5].contains(row / block.rows * 4 + column / block.columns)
        }
        if zeroed { values[index] = index % 3 == 0 ? -0.0 : 0 }
      }
      values[1 * shape.columns + 1] = 0
      values[9 * shape.columns + 8] = 0
      let t = try tensor(values, shape: shape.dimensions)
      for metric in [ImportanceMetric.l2Magnitude, .random(seed: 83)] {
        // The unit scores, as the library computes them (compared to the reference's
        // norms elsewhere), and which units are all zero.
        let unitScores = try t.importanceScores(metric: metric, granularity: granularity).values
        let blocks: [[Int]] =
          switch granularity {
          case .rows: ReferenceMethods.blockElements(
              rows: shape.rows, columns: shape.columns, blockRows: 1, blockColumns: shape.columns)
          case .columns: ReferenceMethods.blockElements(
              rows: shape.rows, columns: shape.columns, blockRows: shape.rows, blockColumns: 1)
          default: ReferenceMethods.blockElements(
              rows: shape.rows, columns: shape.columns, blockRows: block.rows,
              blockColumns: block.columns)
          }
        let unitWeights = blocks.map { elements in
          elements.allSatisfy { values[$0] == 0 } ? Float(0) : 1
        }
        #expect(unitWeights.filter { $0 == 0 }.count == 2)
        for sparsity in [0.1, 0.3, 0.6] {
          let unitPruned = ReferenceMethods.iterativePruned(
            weights: unitWeights, scores: unitScores, sparsity: sparsity,
            mode: referenceMode(mode))
          var expected = [Bool](repeating: false, count: shape.count)
          for (unit, elements) in blocks.enumerated() where unitPruned[unit] {
            for index in elements { expected[index] = true }
          }
          var pruned = t
          let config = try iterative(sparsity, mode, metric: metric, granularity: granularity)
          let mask = try Pruner(config, threadCount: 2).prune(&pruned)
          #expect(prunedFlags(mask) == expected, "\(granularity) \(metric) \(mode) \(sparsity)")
          #expect(firstWrongValue(pruned.values, original: values, pruned: expected) == nil)
        }
      }
    }
  }

  /// Random scores ignore the weights, yet the zeros of an earlier round still go first.
  @Test func randomScoresPruneZerosFirst() throws {
    let values: [Float] = [0, 5, -0.0, 4, 3, 0, 2, 1]
    let scores = ReferencePruning.randomElementScores(seed: 99, count: values.count)
    for mode in IterativeMode.allCases {
      var t = try tensor(values)
      let mask = try Pruner(try iterative(0.5, mode, metric: .random(seed: 99))).prune(&t)
      let expected = ReferenceMethods.iterativePruned(
        weights: values, scores: scores, sparsity: 0.5, mode: referenceMode(mode))
      #expect(prunedFlags(mask) == expected)
      #expect([0, 2, 5].allSatisfy { !mask[$0] }, "\(mode)")
      // Without `iterative`, the random order alone decides.
      var plain = try tensor(values)
      let plainMask = try Pruner(
        try PruningConfig(sparsity: 0.5, metric: .random(seed: 99), minNonzero: 0)
      ).prune(&plain)
      #expect(prunedFlags(plainMask) == ReferencePruning.prunedBySorting(scores, k: 4))
    }
  }

  /// Global rounds count the zeros of all the tensors together and prune them first: the
  /// reference's iterative step over the concatenation.
  @Test(arguments: IterativeMode.allCases)
  func globalRoundsCountZerosOverTheUnion(mode: IterativeMode) throws {
    var generator = SeededGenerator(seed: 8_400)
    let shapes = [[40_000], [7, 12], [300, 250]]
    let original = try shapes.enumerated().map { index, shape in
      let count = shape.reduce(1, *)
      let fraction: Float = [0.1, 0.6, 0.35][index]
      return try WeightTensor(
        name: "g\(index)", shape: shape,
        values: valuesWithZeros(&generator, count, zeroFraction: fraction))
    }
    let all = original.flatMap(\.values)
    for sparsity in [0.2, 0.5] {
      let flat = ReferenceMethods.iterativePruned(
        weights: all, scores: ReferencePruning.elementScores(all, metric: .l1),
        sparsity: sparsity, mode: referenceMode(mode))
      var pruned = original
      let config = try iterative(sparsity, mode, scope: .global)
      let masks = try Pruner(config, threadCount: 2).prune(&pruned)
      #expect(differences(masks.flatMap(prunedFlags), flat) == nil, "\(mode) \(sparsity)")
    }
  }
}
