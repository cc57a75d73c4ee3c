// Every PruningError: when it is thrown, what its message names, and that nothing was
// changed by the call that threw.

import Testing
@testable import Pruning

private let nonFiniteCases: [(values: [Float], count: Int)] = [
  ([1, .nan, 3, 4], 1),
  ([1, 2, .infinity, 4], 1),
  ([-.infinity, 2, 3, 4], 1),
  ([.nan, .infinity, -.infinity, 4], 3),
  ([1, 2, 3, -Float.nan], 1),
  ([1, 2, 3, Float(bitPattern: 0x7FA0_0001)], 1),  // a signalling NaN
  ([.infinity, .infinity, .infinity, .infinity], 4),
]

@Suite struct ErrorTests {
  // MARK: - Options

  @Test(arguments: [-0.1, -1, 1, 1.5, 2, -Double.infinity, Double.infinity, -0.000_000_1])
  func sparsityOutsideZeroToOneThrows(sparsity: Double) throws {
    let error = try #require(throws: PruningError.self) {
      try PruningConfig(sparsity: sparsity)
    }
    #expect(error == .sparsityOutOfRange(sparsity))
    #expect(error.description.contains("sparsity"))
    #expect(error.description.contains("\(sparsity)"))
    #expect(throws: PruningError.sparsityOutOfRange(sparsity)) {
      try PruningConfig.unstructuredL1(sparsity: sparsity)
    }
    #expect(throws: PruningError.sparsityOutOfRange(sparsity)) {
      try PruningConfig.rowsL2(sparsity: sparsity)
    }
  }

  @Test func nanSparsityThrows() throws {
    let error = try #require(throws: PruningError.self) {
      try PruningConfig(sparsity: .nan)
    }
    guard case .sparsityOutOfRange(let value) = error else {
      Issue.record("wrong error \(error)")
      return
    }
    #expect(value.isNaN)
    #expect(error.description.contains("sparsity nan"))
  }

  @Test(arguments: [0, 0.5, 0.999_999, Double.leastNonzeroMagnitude, 1 - Double.ulpOfOne / 2])
  func sparsityInZeroToOneIsAccepted(sparsity: Double) throws {
    let config = try PruningConfig(sparsity: sparsity)
    #expect(config.sparsity == sparsity)
    #expect(config.metric == .l1Magnitude)
    #expect(config.granularity == .unstructured)
    #expect(config.minNonzero == 1)
  }

  @Test(arguments: [-1, -2, Int.min])
  func negativeMinNonzeroThrows(minNonzero: Int) throws {
    let error = try #require(throws: PruningError.self) {
      try PruningConfig(sparsity: 0.5, minNonzero: minNonzero)
    }
    #expect(error == .negativeMinNonzero(minNonzero))
    #expect(error.description.contains("min-nonzero \(minNonzero)"))
  }

  @Test func zeroMinNonzeroIsAccepted() throws {
    #expect(try PruningConfig(sparsity: 0.5, minNonzero: 0).minNonzero == 0)
  }

  // MARK: - Tensors

  @Test(arguments: [[0], [0, 4], [4, 0], [2, 0, 3]])
  func emptyTensorThrowsNamingIt(shape: [Int]) throws {
    var t = try WeightTensor(name: "empty.weight", shape: shape, values: [])
    let granularity: PruningGranularity = shape.count == 2 ? .rows : .unstructured
    let p = try pruner(sparsity: 0.5, granularity: granularity)
    let error = try #require(throws: PruningError.self) { try p.prune(&t) }
    #expect(error == .emptyTensor(name: "empty.weight"))
    #expect(error.description.contains("\"empty.weight\""))
    #expect(error.description.contains("empty"))
    #expect(throws: PruningError.emptyTensor(name: "empty.weight")) {
      try p.importanceScores(of: t)
    }
    #expect(throws: PruningError.emptyTensor(name: "empty.weight")) {
      try t.importanceScores(metric: .l2Magnitude)
    }
  }

  @Test(arguments: [PruningGranularity.rows, .columns], [[6], [2, 3, 1], [1, 2, 3], []])
  func structuredGranularityNeedsAMatrix(granularity: PruningGranularity, shape: [Int]) throws {
    let count = shape.reduce(1, *)
    let values = (1 ... count).map(Float.init)
    var t = try WeightTensor(name: "conv.weight", shape: shape, values: values)
    let p = try pruner(sparsity: 0.5, granularity: granularity)
    let error = try #require(throws: PruningError.self) { try p.prune(&t) }
    #expect(
      error == .notAMatrix(name: "conv.weight", shape: shape, granularity: granularity.name))
    #expect(error.description.contains("\"conv.weight\""))
    #expect(error.description.contains("\(shape)"))
    #expect(error.description.contains(granularity.name))
    #expect(error.description.contains("2-D"))
    #expect(t.values == values)
    #expect(throws: PruningError.self) {
      try t.importanceScores(metric: .l1Magnitude, granularity: granularity)
    }
  }

  @Test(arguments: [PruningGranularity.unstructured, .rows, .columns])
  func minNonzeroAboveCountThrows(granularity: PruningGranularity) throws {
    let values: [Float] = [1, 2, 3, 4, 5, 6]
    var t = try tensor(values, shape: [2, 3], name: "head")
    let p = try pruner(sparsity: 0.5, granularity: granularity, minNonzero: 7)
    let error = try #require(throws: PruningError.self) { try p.prune(&t) }
    #expect(error == .minNonzeroExceedsCount(name: "head", minNonzero: 7, count: 6))
    #expect(error.description.contains("\"head\""))
    #expect(error.description.contains("min-nonzero 7"))
    #expect(error.description.contains("6 elements"))
    #expect(t.values == values)
    #expect(throws: PruningError.self) { try p.importanceScores(of: t) }
  }

  @Test(arguments: [PruningGranularity.unstructured, .rows, .columns])
  func minNonzeroEqualToCountPrunesNothing(granularity: PruningGranularity) throws {
    let values: [Float] = [1, 2, 3, 4, 5, 6]
    var t = try tensor(values, shape: [2, 3])
    let mask = try pruner(sparsity: 0.9, granularity: granularity, minNonzero: 6).prune(&t)
    #expect(mask.keptCount == 6)
    #expect(t.values == values)
  }

  @Test func spanShapeMismatchThrows() throws {
    var values: [Float] = [1, 2, 3, 4, 5, 6]
    let p = try pruner(sparsity: 0.5)
    for shape in [[5], [2, 2], [7], [-2, -3], [6, 0]] {
      let error = try #require(throws: PruningError.self) {
        try pruneSpan(p, &values, shape: shape, name: "mapped")
      }
      #expect(error == .shapeMismatch(name: "mapped", shape: shape, valueCount: 6))
      #expect(error.description.contains("\"mapped\""))
      #expect(error.description.contains("\(shape)"))
      #expect(error.description.contains("6 values"))
    }
    #expect(values == [1, 2, 3, 4, 5, 6])
  }

  // MARK: - Non-finite weights


  @Test(arguments: nonFiniteCases, [PruningGranularity.unstructured, .rows, .columns])
  func nonFiniteWeightsThrowNamingTensorAndCount(
    nonFinite: (values: [Float], count: Int), granularity: PruningGranularity
  ) throws {
    var t = try tensor(nonFinite.values, shape: [2, 2], name: "blk.3.ffn")
    for metric in allMetrics {
      let p = try pruner(sparsity: 0.5, metric: metric, granularity: granularity, minNonzero: 0)
      let expected = PruningError.nonFiniteWeights(name: "blk.3.ffn", count: nonFinite.count)
      let error = try #require(throws: PruningError.self) { try p.prune(&t) }
      #expect(error == expected)
      #expect(error.description.contains("\"blk.3.ffn\""))
      #expect(error.description.contains("\(nonFinite.count) non-finite"))
      #expect(throws: expected) { try p.pruned(t) }
      #expect(throws: expected) { try p.importanceScores(of: t) }
      #expect(throws: expected) { try t.importanceScores(metric: metric, granularity: granularity) }
      var copy = t.values
      #expect(throws: expected) { try pruneSpan(p, &copy, shape: [2, 2], name: "blk.3.ffn") }
      #expect(copy.map(\.bitPattern) == nonFinite.values.map(\.bitPattern))
      #expect(t.values.map(\.bitPattern) == nonFinite.values.map(\.bitPattern))
    }
  }

  @Test func nonFiniteMessageSingularAndPlural() {
    #expect(
      PruningError.nonFiniteWeights(name: "a", count: 1).description
        == "tensor \"a\": 1 non-finite weight (NaN or ±Inf)")
    #expect(
      PruningError.nonFiniteWeights(name: "a", count: 2).description
        == "tensor \"a\": 2 non-finite weights (NaN or ±Inf)")
  }

  @Test func nonFiniteWeightFarIntoABigTensorIsFound() throws {
    // Past the first chunk of the parallel passes.
    var values = [Float](repeating: 0.5, count: 200_000)
    values[199_999] = .nan
    values[70_000] = -.infinity
    var t = try tensor(values, name: "big")
    for threads in [1, 2, 3] {
      let p = try pruner(sparsity: 0.5, threads: threads)
      #expect(throws: PruningError.nonFiniteWeights(name: "big", count: 2)) { try p.prune(&t) }
    }
    #expect(t.values.filter { $0 == 0.5 }.count == 199_998)
  }

  @Test func halfPrecisionNonFiniteWeightsThrow() throws {
    let p = try pruner(sparsity: 0.5)
    var halves: [Float16] = [1, .nan, 2, .infinity, -.infinity, 3]
    let halfBits = halves.map(\.bitPattern)
    #expect(throws: PruningError.nonFiniteWeights(name: "h", count: 3)) {
      try pruneSpan(p, &halves, shape: [6], name: "h")
    }
    #expect(halves.map(\.bitPattern) == halfBits)

    // bfloat16: 0x7F80 is +Inf, 0xFF80 −Inf, 0x7FC0 NaN, 0x7F81 a signalling NaN; 0x7F7F is
    // the largest finite value and must not count.
    var brains = [0x3F80, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0x7F7F].map(BFloat16.init(bitPattern:))
    #expect(throws: PruningError.nonFiniteWeights(name: "b", count: 4)) {
      try pruneSpan(p, &brains, shape: [6], name: "b")
    }
    #expect(brains.map(\.bitPattern) == [0x3F80, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0x7F7F])
  }

  @Test func largestFiniteWeightsAreNotNonFinite() throws {
    var t = try tensor([.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, 2])
    let mask = try pruner(sparsity: 0.5).prune(&t)
    #expect(keptFlags(mask) == [true, true, false, false])
    var halves: [Float16] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, 2]
    let halfMask = try pruneSpan(try pruner(sparsity: 0.5), &halves, shape: [4])
    #expect(keptFlags(halfMask) == [true, true, false, false])
  }

  @Test(arguments: [0.0, 0.999])
  func nonFiniteWeightsThrowWhenNothingOrAlmostEverythingIsPruned(sparsity: Double) throws {
    // k = 0 and k close to n take paths where the selection reads few or no keys.
    var values = [Float](repeating: 1, count: 50_000)
    values[123] = .nan
    var t = try tensor(values, name: "edge")
    let p = try pruner(sparsity: sparsity, minNonzero: 0)
    #expect(throws: PruningError.nonFiniteWeights(name: "edge", count: 1)) { try p.prune(&t) }
  }

  @Test func hugeFiniteWeightsWhoseSquaresOverflowArePruned() throws {
    // w² overflows Float for |w| > 1.8e19 and Σ|w| for rows of 3e38: such keys and scores
    // look non-finite, but the exact count finds no NaN or ±Inf weight, so pruning goes on.
    var squares = try tensor([3e38, -2e19, 1, 2])
    let squareMask = try pruner(sparsity: 0.5, metric: .l2Magnitude).prune(&squares)
    #expect(keptFlags(squareMask) == [true, true, false, false])
    var rows = try tensor([3e38, 3e38, 1, 2], shape: [2, 2])
    let rowMask = try pruner(sparsity: 0.5, metric: .l1Magnitude, granularity: .rows).prune(&rows)
    #expect(keptFlags(rowMask) == [true, true, false, false])
  }

  // MARK: - Nothing changes on error

  @Test func modelIsUnchangedWhenALaterTensorThrows() throws {
    let first = try tensor([1, 2, 3, 4], name: "first")
    let second = try tensor([1, .nan, 3, 4], name: "second")
    var model = [first, second]
    let p = try pruner(sparsity: 0.5)
    #expect(throws: PruningError.nonFiniteWeights(name: "second", count: 1)) {
      try p.prune(&model)
    }
    #expect(model[0].values == [1, 2, 3, 4])
    #expect(model[1].values.map(\.bitPattern) == second.values.map(\.bitPattern))
  }

  @Test func prunedCopyLeavesTheOriginalUnchanged() throws {
    let original = try tensor([4, -1, 3, -2])
    let result = try pruner(sparsity: 0.5).pruned(original)
    #expect(original.values == [4, -1, 3, -2])
    #expect(result.tensor.values == [4, 0, 3, 0])
    #expect(keptFlags(result.mask) == [true, false, true, false])
    #expect(result.tensor.name == original.name)
    #expect(result.tensor.shape == original.shape)
  }
}
