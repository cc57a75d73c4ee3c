// The fused per-row path (`RowSelection`: L1, L2 and Wanda scores ranked within each row,
// the row's keys in a scratch buffer, the row zeroed while it is in cache) against a
// brute-force reference written here: each row's indices sorted by (score, index), the
// scores computed in Double and rounded to Float as the library's are. Random and
// adversarial weights (ties, zeros and −0, all-equal rows, denormals, w² overflowing to +Inf,
// sample positions that defeat the bracket), narrow and wide rows, 1, 2 and 3 threads,
// Float, Float16 and BFloat16 buffers, the dry run, and NaN/±Inf (an error naming the tensor,
// the buffer unchanged). Then the C kernels of the path against their portable versions and
// plain Swift.

import CPruningKernels
import Testing
import TestSupport
@testable import Pruning

/// The scores the fused path ranks.
private enum RowMetric: CaseIterable, CustomTestStringConvertible {
  case l1, l2, wanda

  var metric: ImportanceMetric {
    switch self {
    case .l1: .l1Magnitude
    case .l2: .l2Magnitude
    case .wanda: .wanda
    }
  }

  var testDescription: String { "\(self)" }

  /// The score of weight `weight` in a column of input norm `norm`: exact in Double, then
  /// rounded to Float once (as the library's Float product is).
  func score(_ weight: Float, norm: Float) -> Double {
    let w = Double(weight)
    let exact =
      switch self {
      case .l1: abs(w)
      case .l2: w * w
      case .wanda: abs(w) * Double(norm)
      }
    return Double(Float(exact))
  }
}

/// The reference: which elements are pruned when each row of `values` loses its `k` lowest
/// scores, the lower column first among equal ones.
private func referencePruned(
  _ values: [Float], columns: Int, metric: RowMetric, norms: [Float], k: Int
) -> [Bool] {
  var pruned = [Bool](repeating: false, count: values.count)
  for rowStart in stride(from: 0, to: values.count, by: columns) {
    let scores = (0 ..< columns).map { metric.score(values[rowStart + $0], norm: norms[$0]) }
    let order = (0 ..< columns).sorted { (scores[$0], $0) < (scores[$1], $1) }
    for column in order.prefix(k) { pruned[rowStart + column] = true }
  }
  return pruned
}

/// Prunes `values` through the public span entry, with `input`.
private func pruneSpan<Scalar: PrunableScalar>(
  _ pruner: Pruner, _ values: inout [Scalar], shape: [Int], name: String, input: ScoreInput?
) throws(PruningError) -> PruningMask {
  var span = values.mutableSpan
  return try pruner.prune(&span, shape: shape, name: name, input: input)
}

/// The per-row configuration of `metric`.
private func perRowConfig(_ sparsity: Double, _ metric: RowMetric, minNonzero: Int = 1) throws
  -> PruningConfig
{
  try PruningConfig(
    sparsity: sparsity, metric: metric.metric, scope: .perRow, minNonzero: minNonzero)
}

/// Prunes `values` (a `shape` matrix) per row on 1, 2 and 3 threads and checks, against the
/// reference: that the fused path is the one taken (the generic one for narrow rows), the mask, that pruned weights are +0 and
/// kept ones keep their bits, that the dry run gives the same mask and that the thread count
/// does not matter.
private func expectMatchesReference<Scalar: PrunableScalar>(
  _ values: [Scalar], shape: MatrixShape, metric: RowMetric, sparsity: Double,
  minNonzero: Int = 1, norms: [Float], sourceLocation: SourceLocation = #_sourceLocation
) throws where Scalar.Bits: Equatable {
  let config = try perRowConfig(sparsity, metric, minNonzero: minNonzero)
  let input: ScoreInput? = metric == .wanda ? .inputNorms(norms) : nil
  let layout = try UnitLayout(
    shape: shape.dimensions, valueCount: values.count, name: "w", config: config)
  let scoring = ElementScoring(config.metric, input: input, columns: shape.columns)
  let fused = RowSelection(layout: layout, config: config, scoring: scoring) != nil
  #expect(
    fused == (shape.columns >= RowSelection.minimumColumns),
    "the fused path is taken unless the rows are narrow", sourceLocation: sourceLocation)
  let surviving = (minNonzero + shape.rows - 1) / shape.rows
  let k = max(
    0, min(Int((sparsity * Double(shape.columns)).rounded(.down)), shape.columns - surviving))
  let expected = referencePruned(
    values.map(\.widened), columns: shape.columns, metric: metric, norms: norms, k: k)
  let bits = { (x: Scalar) in withUnsafeBytes(of: x) { $0.load(as: Scalar.Bits.self) } }
  let label = "\(Scalar.self) \(shape.testDescription) \(metric) s \(sparsity) mnz \(minNonzero)"
  var masks = [PruningMask]()
  for threads in [1, 2, 3] {
    let pruner = Pruner(config, threadCount: threads)
    let dryRun = try pruner.mask(
      of: values.span, shape: shape.dimensions, name: "w", input: input)
    var pruned = values
    let mask = try pruneSpan(pruner, &pruned, shape: shape.dimensions, name: "w", input: input)
    #expect(dryRun == mask, "\(label) dry run", sourceLocation: sourceLocation)
    #expect(
      differences(prunedFlags(mask), expected) == nil, "\(label) threads \(threads)",
      sourceLocation: sourceLocation)
    let wrong = values.indices.first { index in
      bits(pruned[index]) != (mask[index] ? bits(values[index]) : 0)
    }
    #expect(wrong == nil, "\(label): element \(wrong ?? -1)", sourceLocation: sourceLocation)
    masks.append(mask)
  }
  #expect(masks.allSatisfy { $0 == masks[0] }, "\(label)", sourceLocation: sourceLocation)
}

/// Narrow rows (left to the generic path below `RowSelection.minimumColumns`, then around the
/// vector width and a mask word), rows long enough to be narrowed by sampled brackets, bands
/// of rows sharing mask words, and the benchmark's width.
private let fusedShapes: [MatrixShape] = [
  .init(5, 1), .init(7, 3), .init(9, 16), .init(130, 17), .init(4, 63), .init(3, 64),
  .init(5, 65),
  .init(3, 300), .init(4, 1000), .init(3, 4096), .init(2, 11008),
]

/// The sparsities tried: none, some, half, most, all but the cap.
private let sparsities = [0, 0.3, 0.5, 0.9, (1.0).nextDown]

/// `count` input norms in [0, 2], a few of them +0 or −0 (which tie the weights of their
/// columns at a score of zero).
private func inputNorms(_ generator: inout SeededGenerator, _ count: Int) -> [Float] {
  generator.uniformFloats(count, in: 0 ... 2).enumerated().map { index, norm in
    index % 11 == 5 ? 0 : index % 11 == 7 ? -0.0 : norm
  }
}

@Suite struct RowSelectionTests {
  /// Random weights: every metric and sparsity, on every shape.
  @Test(arguments: fusedShapes)
  func randomRowsMatchTheReference(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 13_000 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count, in: -3 ... 3)
    let norms = inputNorms(&generator, shape.columns)
    for metric in RowMetric.allCases {
      for sparsity in sparsities {
        try expectMatchesReference(
          values, shape: shape, metric: metric, sparsity: sparsity, norms: norms)
      }
    }
  }

  /// Many ties: small integers with +0 and −0 among them, a row all equal, a row of zeros
  /// of both signs; the lower column is pruned first among equal scores.
  @Test(arguments: [MatrixShape(9, 17), .init(6, 300), .init(5, 1100), .init(3, 4096)])
  func tiedRowsPruneTheLowerColumnsFirst(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 13_100 + UInt64(shape.count))
    var values = fastTiedFloats(&generator, shape.count, distinct: 5)
    for index in values.indices where values[index] == 0 && index % 3 == 0 { values[index] = -0.0 }
    for column in 0 ..< shape.columns {
      values[column] = 1.5
      values[shape.columns + column] = column % 2 == 0 ? 0 : -0.0
    }
    let norms = fastTiedFloats(&generator, shape.columns, distinct: 3).map { abs($0) }
    for metric in RowMetric.allCases {
      for sparsity in sparsities {
        try expectMatchesReference(
          values, shape: shape, metric: metric, sparsity: sparsity, norms: norms)
      }
    }
  }

  /// Denormal weights (whose squares underflow to zero, tying them), and finite weights so
  /// large that w² (or |w|·norm) overflows to +Inf: ranked as the reference ranks them, and
  /// no error.
  @Test(arguments: [MatrixShape(4, 70), .init(3, 2000)])
  func denormalsAndOverflowingScores(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 13_200 + UInt64(shape.count))
    let draws = generator.uniformFloats(shape.count, in: 0 ... 1)
    let values = draws.enumerated().map { index, draw -> Float in
      let sign: Float = index % 2 == 0 ? 1 : -1
      switch index % 4 {
      case 0: return sign * Float.leastNonzeroMagnitude * Float(Int(draw * 8))
      case 1: return sign * Float(2e19) * (1 + draw * 1e18)
      case 2: return sign * (index % 8 == 2 ? Float.greatestFiniteMagnitude : draw)
      default: return sign * Float.leastNormalMagnitude * draw
      }
    }
    let norms = inputNorms(&generator, shape.columns)
    for metric in RowMetric.allCases {
      for sparsity in [0.2, 0.5, 0.8] {
        try expectMatchesReference(
          values, shape: shape, metric: metric, sparsity: sparsity, norms: norms)
      }
    }
  }

  /// The `minNonzero` cap, spread over the rows, holds on the fused path.
  @Test func minNonzeroCapsEveryRow() throws {
    var generator = SeededGenerator(seed: 13_300)
    let shape = MatrixShape(6, 500)
    let values = generator.uniformFloats(shape.count, in: -1 ... 1)
    let norms = inputNorms(&generator, shape.columns)
    for minNonzero in [0, shape.count / 2, shape.count - 7, shape.count] {
      try expectMatchesReference(
        values, shape: shape, metric: .l1, sparsity: 0.9, minNonzero: minNonzero, norms: norms)
    }
  }

  /// Rows built so that the evenly spaced sample sits at the extremes: the bracket misses the
  /// wanted key, or keeps nearly every key, and the selection still finds it.
  @Test func sampleDefeatingRowsMatchTheReference() throws {
    var generator = SeededGenerator(seed: 13_400)
    let columns = 4096
    let stride = columns / RowSelection.sampleSize
    var values = generator.uniformFloats(3 * columns, in: 0.1 ... 1)
    for sample in 0 ..< RowSelection.sampleSize {
      let column = sample * stride + stride / 2
      values[column] = 1000 + Float(sample)  // every sample key above the rest
      values[columns + column] = sample < 16 ? 1e-6 * Float(sample + 1) : 1000 + Float(sample)
      values[2 * columns + column] = 1e-6 * Float(sample + 1)  // every one below the rest
    }
    for sparsity in [0.1, 0.5, 0.9] {
      try expectMatchesReference(
        values, shape: MatrixShape(3, columns), metric: .l1, sparsity: sparsity,
        norms: [Float](repeating: 1, count: columns))
    }
  }

  /// Float16 and BFloat16 buffers take the fused path too (widened row by row), keeping the
  /// kept elements' bits.
  @Test(arguments: [MatrixShape(7, 3), .init(5, 65), .init(4, 1000), .init(2, 4096)])
  func halfPrecisionBuffersMatchTheReference(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 13_500 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count, in: -4 ... 4)
    let tied = fastTiedFloats(&generator, shape.count, distinct: 5)
    let norms = inputNorms(&generator, shape.columns)
    for metric in RowMetric.allCases {
      for sparsity in [0.3, 0.5, 0.9] {
        try expectMatchesReference(
          values.map { Float16($0) }, shape: shape, metric: metric, sparsity: sparsity,
          norms: norms)
        try expectMatchesReference(
          values.map { BFloat16($0) }, shape: shape, metric: metric, sparsity: sparsity,
          norms: norms)
        try expectMatchesReference(
          tied.map { BFloat16($0) }, shape: shape, metric: metric, sparsity: sparsity,
          norms: norms)
      }
    }
  }

  /// A NaN or ±Inf weight anywhere — the last row too — is an error naming the tensor, and
  /// the buffer is left as it was, whatever the metric and thread count.
  @Test(arguments: [Float.nan, .infinity, -.infinity])
  func nonFiniteWeightsThrowAndLeaveTheBufferUnchanged(_ bad: Float) throws {
    var generator = SeededGenerator(seed: 13_600)
    let shape = MatrixShape(6, 1000)
    let norms = inputNorms(&generator, shape.columns)
    for position in [0, shape.count / 2, shape.count - 1] {
      var values = generator.uniformFloats(shape.count, in: -1 ... 1)
      values[position] = bad
      for metric in RowMetric.allCases {
        for threads in [1, 2] {
          let pruner = Pruner(try perRowConfig(0.5, metric), threadCount: threads)
          let input: ScoreInput? = metric == .wanda ? .inputNorms(norms) : nil
          var buffer = values
          #expect(throws: PruningError.nonFiniteWeights(name: "layer.7", count: 1)) {
            try pruneSpan(
              pruner, &buffer, shape: shape.dimensions, name: "layer.7", input: input)
          }
          #expect(bitIdentical(buffer, values), "\(metric) at \(position)")
          var halves = values.map { BFloat16($0) }
          let original = halves.map(\.bitPattern)
          #expect(throws: PruningError.nonFiniteWeights(name: "layer.7", count: 1)) {
            try pruneSpan(
              pruner, &halves, shape: shape.dimensions, name: "layer.7", input: input)
          }
          #expect(halves.map(\.bitPattern) == original)
        }
      }
    }
  }

  /// The fused path takes exactly what it covers: per-row scope with L1, L2, the Taylor
  /// proxy or Wanda, first rounds, rows of `RowSelection.minimumColumns` up to
  /// `LowestKSelection.smallCount`; everything else (iterative rounds, other metrics,
  /// narrower or wider rows, N:M patterns, tensor scope) is left to the generic path.
  @Test func fusedPathCoversOnlyWhatItShould() throws {
    func covers(
      _ config: PruningConfig, columns: Int = 64, input: ScoreInput? = nil
    ) throws -> Bool {
      let layout = try UnitLayout(
        shape: [2, columns], valueCount: 2 * columns, name: "w", config: config)
      let scoring = ElementScoring(config.metric, input: input, columns: columns)
      return RowSelection(layout: layout, config: config, scoring: scoring) != nil
    }
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude, .taylorProxy] {
      #expect(try covers(PruningConfig(sparsity: 0.5, metric: metric, scope: .perRow)))
    }
    let norms = ScoreInput.inputNorms([Float](repeating: 1, count: 64))
    #expect(try covers(PruningConfig(sparsity: 0.5, metric: .wanda, scope: .perRow), input: norms))
    #expect(try !covers(PruningConfig(sparsity: 0.5, scope: .perRow, iterative: .total)))
    #expect(try !covers(PruningConfig(sparsity: 0.5, metric: .random(seed: 1), scope: .perRow)))
    #expect(try !covers(PruningConfig(sparsity: 0.5, metric: .taylor, scope: .perRow)))
    #expect(try !covers(PruningConfig(sparsity: 0.5, metric: .supplied, scope: .perRow)))
    #expect(
      try !covers(
        PruningConfig(sparsity: 0.5, scope: .perRow), columns: LowestKSelection.smallCount + 1))
    #expect(
      try covers(
        PruningConfig(sparsity: 0.5, scope: .perRow), columns: LowestKSelection.smallCount))
    let perRow = try PruningConfig(sparsity: 0.5, scope: .perRow)
    #expect(try covers(perRow, columns: RowSelection.minimumColumns))
    #expect(try !covers(perRow, columns: RowSelection.minimumColumns - 1))
    #expect(try !covers(.semiStructured(keep: 2, of: 4)))
    #expect(try !covers(.unstructuredL1(sparsity: 0.5)))
  }
}

@Suite struct RowKernelTests {
  /// Weights of every kind a row can hold: ±0, denormals, normals, huge ones whose w²
  /// overflows.
  private func weights(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    let special: [Float] = [
      0, -0.0, .leastNonzeroMagnitude, -.leastNormalMagnitude, 1, -1.5, 3e19,
      -.greatestFiniteMagnitude,
    ]
    return (0 ..< count).map { index in
      index % 3 == 0
        ? special[Int.random(in: 0 ..< special.count, using: &generator)]
        : Float.random(in: -2 ... 2, using: &generator)
    }
  }

  @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 65, 1000])
  func rowKeysMatchPortableAndSwift(count: Int) {
    let values = weights(count, seed: 70 + UInt64(count))
    var generator = SeededGenerator(seed: 80 + UInt64(count))
    let normsUsed = inputNorms(&generator, count)
    for (squared, wanda) in [(false, false), (true, false), (false, true)] {
      var fast = [UInt32](repeating: 0, count: count)
      var portable = fast
      let expected = values.indices.map { index -> UInt32 in
        let weight = values[index]
        let score = wanda ? abs(weight) * normsUsed[index] : squared ? weight * weight : weight
        return ScoreKey.magnitudeKey(bits: score.bitPattern)
      }
      normsUsed.withUnsafeBufferPointer { normsBuffer in
        let norms = wanda ? normsBuffer.baseAddress : nil
        bonsai_row_keys_f32(values, count, squared ? 1 : 0, norms, &fast)
        bonsai_row_keys_f32_portable(values, count, squared ? 1 : 0, norms, &portable)
      }
      #expect(fast == expected, "squared \(squared) wanda \(wanda)")
      #expect(portable == expected, "squared \(squared) wanda \(wanda)")
    }
  }

  @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 65, 1000])
  func countBelowMatchesPortableAndSwift(count: Int) {
    var generator = SeededGenerator(seed: 90 + UInt64(count))
    let choices: [UInt32] = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, .max]
    let keys = (0 ..< count).map { _ in choices[Int.random(in: 0 ..< 6, using: &generator)] }
    for threshold: UInt32 in [0, 1, 0x8000_0000, 0x8000_0001, .max] {
      let expected = keys.filter { $0 < threshold }.count
      #expect(bonsai_count_below(keys, count, threshold) == expected)
      #expect(bonsai_count_below_portable(keys, count, threshold) == expected)
    }
  }

  @Test(arguments: [0, 1, 7, 8, 24, 32, 64])
  func sampleSortMatchesPortableAndSwift(count: Int) {
    var generator = SeededGenerator(seed: 100 + UInt64(count))
    for distinct in [2, 1000] {
      let keys = (0 ..< count).map { _ in
        0x7FFF_FFF0 &+ UInt32(Int.random(in: 0 ..< distinct, using: &generator) * 7)
      }
      var fast = [UInt32](repeating: 0, count: count)
      var portable = fast
      bonsai_sort_sample(keys, count, &fast)
      bonsai_sort_sample_portable(keys, count, &portable)
      #expect(fast == keys.sorted(), "distinct \(distinct)")
      #expect(portable == keys.sorted(), "distinct \(distinct)")
    }
  }

  /// Every one of the 65 536 half-precision bit patterns widens to `Float(half)`, bit for
  /// bit (NaNs to a NaN).
  @Test func halfWideningMatchesSwiftForEveryPattern() {
    let halves = (0 ... UInt16.max).map { Float16(bitPattern: $0) }
    var fast = [Float](repeating: 0, count: halves.count)
    var portable = fast
    halves.withUnsafeBufferPointer { halves in
      halves.withMemoryRebound(to: UInt16.self) { bits in
        bonsai_widen_f16(bits.baseAddress, bits.count, &fast)
        bonsai_widen_f16_portable(bits.baseAddress, bits.count, &portable)
      }
    }
    let wrong = halves.indices.filter { index in
      let expected = Float(halves[index])
      return [fast[index], portable[index]].contains { widened in
        expected.isNaN ? !widened.isNaN : widened.bitPattern != expected.bitPattern
      }
    }
    #expect(wrong.isEmpty, "wrong patterns: \(wrong.prefix(8))")
  }
}
