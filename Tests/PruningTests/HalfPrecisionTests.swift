// Float16 and bfloat16 weights are pruned where they lie: kept elements keep their exact
// bits, pruned ones become +0, and the decision is the one made on the widened Float copy.

import Testing
import TestSupport
@testable import Pruning

/// Prunes `values` of any prunable type and, separately, their Float widening; checks that
/// both give the same mask and that every kept element is bit-identical. The dry run and
/// the importance scores of the narrow values, read where they lie, are those of the
/// widened tensor, and change nothing.
private func expectSameAsWidened<Scalar: PrunableScalar>(
  _ values: [Scalar], shape: [Int], pruner p: Pruner,
  sourceLocation: SourceLocation = #_sourceLocation
) throws where Scalar.Bits: Equatable {
  let widened = try tensor(values.map(\.widened), shape: shape)
  #expect(
    try p.importanceScores(of: values.span, shape: shape, name: "t")
      == p.importanceScores(of: widened), sourceLocation: sourceLocation)
  let dryRun = try p.mask(of: values.span, shape: shape, name: "t")
  #expect(try p.mask(of: widened) == dryRun, sourceLocation: sourceLocation)
  var narrow = values
  let mask = try pruneSpan(p, &narrow, shape: shape)
  var wide = widened
  let wideMask = try p.prune(&wide)
  #expect(mask == wideMask, "\(p.config)", sourceLocation: sourceLocation)
  #expect(dryRun == mask, sourceLocation: sourceLocation)
  #expect(widened.values == values.map(\.widened), sourceLocation: sourceLocation)
  let bits = { (x: Scalar) in withUnsafeBytes(of: x) { $0.load(as: Scalar.Bits.self) } }
  let wrong = values.indices.filter { index in
    bits(narrow[index]) != (mask[index] ? bits(values[index]) : 0)
  }
  #expect(
    wrong.isEmpty, "elements with wrong bits: \(wrong.prefix(10))",
    sourceLocation: sourceLocation)
  #expect(narrow.map(\.widened) == wide.values, sourceLocation: sourceLocation)
}

@Suite struct HalfPrecisionTests {
  @Test(arguments: PruningGranularity.all, allMetrics)
  func float16PruningMatchesTheWidenedCopy(
    granularity: PruningGranularity, metric: ImportanceMetric
  ) throws {
    var generator = SeededGenerator(seed: 60)
    for (rows, columns) in [(1, 1), (3, 70), (70, 3), (33, 65), (90, 70)] {
      let values = generator.uniformFloats(rows * columns, in: -4 ... 4).map { Float16($0) }
      for sparsity in [0.0, 0.3, 0.75] {
        let p = try pruner(
          sparsity: sparsity, metric: metric, granularity: granularity, threads: 2)
        try expectSameAsWidened(values, shape: [rows, columns], pruner: p)
      }
    }
  }

  @Test(arguments: PruningGranularity.all, allMetrics)
  func bfloat16PruningMatchesTheWidenedCopy(
    granularity: PruningGranularity, metric: ImportanceMetric
  ) throws {
    var generator = SeededGenerator(seed: 61)
    for (rows, columns) in [(1, 1), (3, 70), (70, 3), (33, 65), (90, 70)] {
      let values = generator.uniformFloats(rows * columns, in: -4 ... 4).map { BFloat16($0) }
      for sparsity in [0.0, 0.3, 0.75] {
        let p = try pruner(
          sparsity: sparsity, metric: metric, granularity: granularity, threads: 2)
        try expectSameAsWidened(values, shape: [rows, columns], pruner: p)
      }
    }
  }

  /// N:M, per-row and block pruning of narrow weights, their dry runs and their scores
  /// follow the widened copy too.
  @Test func groupedAndBlockPruningMatchTheWidenedCopy() throws {
    var generator = SeededGenerator(seed: 17_005)
    let values = generator.uniformFloats(24 * 16, in: -4 ... 4)
    let configs = [
      try PruningConfig.semiStructured(keep: 2, of: 4),
      try PruningConfig(sparsity: 0.5, scope: .perRow, iterative: .total),
      try PruningConfig(
        sparsity: 0.4, metric: .l2Magnitude,
        granularity: .blocks(BlockShape(rows: 2, columns: 3, pooling: .max))),
    ]
    for config in configs {
      let p = Pruner(config, threadCount: 2)
      try expectSameAsWidened(values.map { BFloat16($0) }, shape: [24, 16], pruner: p)
      try expectSameAsWidened(values.map { Float16($0) }, shape: [24, 16], pruner: p)
    }
  }

  @Test func fewDistinctHalfValuesTieLikeTheirFloats() throws {
    var generator = SeededGenerator(seed: 62)
    let halves = fastTiedFloats(&generator, 100_000, distinct: 5).map { Float16($0) }
    let brains = halves.map { BFloat16(Float($0)) }
    let p = try pruner(sparsity: 0.45, metric: .l2Magnitude, threads: 2)
    try expectSameAsWidened(halves, shape: [100_000], pruner: p)
    try expectSameAsWidened(brains, shape: [100, 1000], pruner: p)
  }

  @Test func negativeZeroAndSubnormalHalvesKeepTheirBits() throws {
    let halves: [Float16] = [-0.0, 6.0e-8, -6.0e-8, 1, -1, .leastNormalMagnitude, 2, -0.0]
    var copy = halves
    let mask = try pruneSpan(try pruner(sparsity: 0.25), &copy, shape: [8])
    // k = 2: the two −0 go (L1 score 0), the subnormals stay.
    #expect(keptFlags(mask) == [false, true, true, true, true, true, true, false])
    #expect(copy.map(\.bitPattern) == [0, 1, 0x8001, 0x3C00, 0xBC00, 0x0400, 0x4000, 0])
  }

  // MARK: - BFloat16 itself

  @Test func bfloat16WidensExactly() {
    for bits: UInt16 in [0x0000, 0x8000, 0x3F80, 0xBF80, 0x0001, 0x7F7F, 0x4049, 0xC2F7] {
      let value = BFloat16(bitPattern: bits)
      #expect(value.widened.bitPattern == UInt32(bits) << 16)
      #expect(BFloat16(value.widened).bitPattern == bits)
    }
    #expect(BFloat16(bitPattern: 0x3F80).widened == 1)
    #expect(BFloat16(bitPattern: 0xC000).widened == -2)
  }

  @Test func bfloat16RoundsToNearestTiesToEven() {
    #expect(BFloat16(Float(bitPattern: 0x3F80_7FFF)).bitPattern == 0x3F80)  // below half
    #expect(BFloat16(Float(bitPattern: 0x3F80_8000)).bitPattern == 0x3F80)  // tie, even down
    #expect(BFloat16(Float(bitPattern: 0x3F81_8000)).bitPattern == 0x3F82)  // tie, even up
    #expect(BFloat16(Float(bitPattern: 0x3F80_8001)).bitPattern == 0x3F81)  // above half
    #expect(BFloat16(Float(bitPattern: 0xBF80_8001)).bitPattern == 0xBF81)  // negative
    #expect(BFloat16(Float.infinity).bitPattern == 0x7F80)
    #expect(BFloat16(-Float.infinity).bitPattern == 0xFF80)
    #expect(BFloat16(Float.greatestFiniteMagnitude).bitPattern == 0x7F80)  // rounds up to Inf
    #expect(BFloat16(-0.0).bitPattern == 0x8000)
    #expect(BFloat16(3.140625).widened == 3.140625)
  }

  @Test func bfloat16KeepsNaNsNaN() {
    for bits: UInt32 in [0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0xFFC0_0000] {
      let value = BFloat16(Float(bitPattern: bits))
      #expect(value.widened.isNaN, "\(bits)")
      #expect(BFloat16.isNonFinite(bits: value.bitPattern))
    }
  }

  @Test func nonFiniteBitTests() {
    #expect(Float.isNonFinite(bits: Float.infinity.bitPattern))
    #expect(Float.isNonFinite(bits: (-Float.infinity).bitPattern))
    #expect(Float.isNonFinite(bits: Float.nan.bitPattern))
    #expect(!Float.isNonFinite(bits: Float.greatestFiniteMagnitude.bitPattern))
    #expect(!Float.isNonFinite(bits: (-Float.greatestFiniteMagnitude).bitPattern))
    #expect(!Float.isNonFinite(bits: 0))
    #expect(Float16.isNonFinite(bits: Float16.infinity.bitPattern))
    #expect(Float16.isNonFinite(bits: (-Float16.infinity).bitPattern))
    #expect(Float16.isNonFinite(bits: Float16.nan.bitPattern))
    #expect(!Float16.isNonFinite(bits: Float16.greatestFiniteMagnitude.bitPattern))
    #expect(!Float16.isNonFinite(bits: 0x8000))
    #expect(BFloat16.isNonFinite(bits: 0x7F80))
    #expect(BFloat16.isNonFinite(bits: 0xFF80))
    #expect(BFloat16.isNonFinite(bits: 0xFFC1))
    #expect(!BFloat16.isNonFinite(bits: 0x7F7F))
    #expect(!BFloat16.isNonFinite(bits: 0xFF7F))
  }

  @Test func spanNonFiniteCount() {
    let floats: [Float] = [1, .nan, .infinity, 2, -.infinity]
    #expect(floats.span.nonFiniteCount == 3)
    let halves: [Float16] = [1, .nan, 2]
    #expect(halves.span.nonFiniteCount == 1)
    let brains = [0x7F80, 0x3F80, 0x7FC0].map(BFloat16.init(bitPattern:))
    #expect(brains.span.nonFiniteCount == 2)
    #expect([Float]().span.nonFiniteCount == 0)
  }
}
