// Compaction removes pruned rows or columns outright: for kept rows R, W[R, :] · x equals
// (pruned W · x)[R]; for kept columns C, W[:, C] · x[C] equals pruned W · x — exactly, in
// Double. Channel groups (an MLP's up, gate and down projections) are scored jointly by
// `ChannelScores` — sqrt(Σ row² + Σ column²), or the L1 sum — and the compacted MLP
// computes exactly what the one with zeroed channels does.

import Testing
import TestSupport
@testable import Pruning

/// `count` Doubles in [−1, 1).
private func vector(_ generator: inout SeededGenerator, _ count: Int) -> [Double] {
  generator.uniformFloats(count).map { Double($0) }
}

/// The reference's joint channel scores: per channel, the Double sum of its producers' row
/// and consumers' column squares (rooted), or of their magnitudes for L1.
private func referenceChannelScores(
  producers: [[Float]], consumers: [(values: [Float], rows: Int)], channels: Int, l1: Bool
) -> [Double] {
  var sums = [Double](repeating: 0, count: channels)
  let add = { (sum: inout Double, weight: Float) in
    sum += l1 ? abs(Double(weight)) : Double(weight) * Double(weight)
  }
  for producer in producers {
    let columns = producer.count / channels
    for channel in 0 ..< channels {
      for column in 0 ..< columns { add(&sums[channel], producer[channel * columns + column]) }
    }
  }
  for consumer in consumers {
    for row in 0 ..< consumer.rows {
      for channel in 0 ..< channels {
        add(&sums[channel], consumer.values[row * channels + channel])
      }
    }
  }
  return l1 ? sums : sums.map { $0.squareRoot() }
}

/// A small MLP: up and gate `[channels, inputs]`, an up bias `[channels]`, down
/// `[outputs, channels]`.
private struct MLP {
  var up: WeightTensor
  var gate: WeightTensor
  var bias: [Float]
  var down: WeightTensor

  init(seed: UInt64, channels: Int, inputs: Int, outputs: Int) throws {
    var generator = SeededGenerator(seed: seed)
    up = try tensor(
      generator.uniformFloats(channels * inputs), shape: [channels, inputs], name: "up")
    gate = try tensor(
      generator.uniformFloats(channels * inputs), shape: [channels, inputs], name: "gate")
    bias = generator.uniformFloats(channels)
    down = try tensor(
      generator.uniformFloats(outputs * channels), shape: [outputs, channels], name: "down")
  }

  /// down · (f(up x + bias) ⊙ gate x), in Double.
  func forward(_ x: [Double], activation: (Double) -> Double) -> [Double] {
    let channels = up.shape[0]
    let upX = ReferenceMethods.matrixVector(up.values, rows: channels, columns: up.shape[1], x)
    let gateX = ReferenceMethods.matrixVector(
      gate.values, rows: channels, columns: gate.shape[1], x)
    let hidden = (0 ..< channels).map { activation(upX[$0] + Double(bias[$0])) * gateX[$0] }
    return ReferenceMethods.matrixVector(
      down.values, rows: down.shape[0], columns: channels, hidden)
  }

  /// The MLP reduced to the channels `kept`.
  func keeping(_ kept: [Int]) throws -> MLP {
    var copy = self
    copy.up = try up.keepingRows(kept)
    copy.gate = try gate.keepingRows(kept)
    copy.bias = kept.map { bias[$0] }
    copy.down = try down.keepingColumns(kept)
    return copy
  }

  /// The MLP with every channel but `kept` zeroed in all its tensors.
  func zeroing(allBut kept: [Int]) throws -> MLP {
    let keep = Set(kept)
    let channels = up.shape[0]
    var copy = self
    let zeroRows = { (t: WeightTensor) in
      try tensor(
        t.values.enumerated().map { keep.contains($0 / t.shape[1]) ? $1 : 0 }, shape: t.shape,
        name: t.name)
    }
    copy.up = try zeroRows(up)
    copy.gate = try zeroRows(gate)
    copy.bias = bias.enumerated().map { keep.contains($0) ? $1 : 0 }
    copy.down = try tensor(
      down.values.enumerated().map { keep.contains($0 % channels) ? $1 : 0 }, shape: down.shape,
      name: "down")
    return copy
  }

  /// Channel scores of this MLP under `config`, the bias added as a producer.
  func channelScores(_ config: PruningConfig, threads: Int = 2) throws -> ChannelScores {
    var scores = try ChannelScores(channels: up.shape[0], config: config, threadCount: threads)
    try scores.addProducer(up.values.span, shape: up.shape, name: up.name)
    try scores.addProducer(bias.span, shape: [bias.count], name: "up.bias")
    try scores.addProducer(gate.values.span, shape: gate.shape, name: gate.name)
    try scores.addConsumer(down.values.span, shape: down.shape, name: down.name)
    return scores
  }
}

@Suite struct CompactionTests {
  /// After row pruning, the kept rows are those the mask keeps any element of, the
  /// compacted matrix holds exactly them, and its product with x is the pruned product
  /// restricted to them (the pruned rows' products being 0).
  @Test(arguments: awkwardShapes + [MatrixShape(40, 3)])
  func compactedRowsComputeThePrunedProduct(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 9_000 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count)
    let x = vector(&generator, shape.columns)
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      var t = try tensor(values, shape: shape.dimensions)
      let mask = try pruner(sparsity: 0.5, metric: metric, granularity: .rows).prune(&t)
      let kept = try Compaction.keptRows(of: mask, rows: shape.rows, columns: shape.columns)
      #expect(kept == (0 ..< shape.rows).filter { mask[$0 * shape.columns] })
      #expect(kept.count == shape.rows - min(shape.rows / 2, shape.rows - 1))
      let compact = try t.keepingRows(kept)
      #expect(compact.shape == [kept.count, shape.columns])
      #expect(compact.name == t.name)
      #expect(
        compact.values
          == ReferenceMethods.keptRows(
            of: values, rows: shape.rows, columns: shape.columns, keeping: kept))
      let full = ReferenceMethods.matrixVector(
        t.values, rows: shape.rows, columns: shape.columns, x)
      let reduced = ReferenceMethods.matrixVector(
        compact.values, rows: kept.count, columns: shape.columns, x)
      #expect(reduced == kept.map { full[$0] })
      #expect(Set(0 ..< shape.rows).subtracting(kept).allSatisfy { full[$0] == 0 })
    }
  }

  /// After column pruning, the compacted matrix times x at the kept columns equals the
  /// pruned matrix times x.
  @Test(arguments: awkwardShapes + [MatrixShape(3, 40)])
  func compactedColumnsComputeThePrunedProduct(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 9_100 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count)
    let x = vector(&generator, shape.columns)
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      var t = try tensor(values, shape: shape.dimensions)
      let mask = try pruner(sparsity: 0.6, metric: metric, granularity: .columns).prune(&t)
      let kept = try Compaction.keptColumns(of: mask, rows: shape.rows, columns: shape.columns)
      #expect(kept == (0 ..< shape.columns).filter { mask[$0] })
      let compact = try t.keepingColumns(kept)
      #expect(compact.shape == [shape.rows, kept.count])
      #expect(
        compact.values
          == ReferenceMethods.keptColumns(
            of: values, rows: shape.rows, columns: shape.columns, keeping: kept))
      let full = ReferenceMethods.matrixVector(
        t.values, rows: shape.rows, columns: shape.columns, x)
      let reduced = ReferenceMethods.matrixVector(
        compact.values, rows: shape.rows, columns: kept.count, kept.map { x[$0] })
      #expect(reduced == full)
    }
  }

  /// A row or column survives compaction when the mask keeps any of its elements, as after
  /// unstructured pruning; none kept gives an empty matrix.
  @Test func keptRowsAndColumnsOfAnUnstructuredMask() throws {
    let mask = PruningMask(kept: [
      false, false, false, false,
      false, true, false, false,
      false, false, false, true,
    ])
    #expect(try Compaction.keptRows(of: mask, rows: 3, columns: 4) == [1, 2])
    #expect(try Compaction.keptColumns(of: mask, rows: 3, columns: 4) == [1, 3])
    let t = try tensor((0 ..< 12).map { Float($0) }, shape: [3, 4])
    #expect(try t.keepingRows([1, 2]).values == [4, 5, 6, 7, 8, 9, 10, 11])
    #expect(try t.keepingColumns([1, 3]).values == [1, 3, 5, 7, 9, 11])
    #expect(try t.keepingColumns([0, 1, 2, 3]) == t)
    let none = try t.keepingRows([])
    #expect(none.shape == [0, 4] && none.values.isEmpty)
    #expect(try t.keepingColumns([]).shape == [3, 0])
    let nothingKept = try PruningMask(count: 12, allKept: false)
    #expect(try Compaction.keptRows(of: nothingKept, rows: 3, columns: 4).isEmpty)
    #expect(try Compaction.keptColumns(of: nothingKept, rows: 3, columns: 4).isEmpty)
  }

  /// Raw copies move 2-byte elements (Float16, bfloat16) as they are, runs of columns and
  /// single ones alike.
  @Test func rawCopiesOfHalfPrecisionRowsAndColumns() throws {
    var generator = SeededGenerator(seed: 9_200)
    let (rows, columns) = (9, 13)
    let halves = generator.uniformFloats(rows * columns).map { Float16($0) }
    let brains = generator.uniformFloats(rows * columns).map { BFloat16($0) }
    let keptRows = [0, 3, 4, 8]
    let keptColumns = [1, 2, 3, 7, 9, 10, 12]
    func copied<Scalar: PrunableScalar>(_ values: [Scalar], alongRows: Bool) -> [Scalar] {
      let kept = alongRows ? keptRows : keptColumns
      let count = alongRows ? kept.count * columns : rows * kept.count
      var target = [Scalar](repeating: values[0], count: count)
      values.withUnsafeBytes { source in
        target.withUnsafeMutableBytes { target in
          if alongRows {
            Compaction.copyRows(
              kept, of: source, rows: rows, columns: columns, elementSize: 2, into: target)
          } else {
            Compaction.copyColumns(
              kept, of: source, rows: rows, columns: columns, elementSize: 2, into: target)
          }
        }
      }
      return target
    }
    for alongRows in [true, false] {
      let expected = { (wide: [Float]) in
        alongRows
          ? ReferenceMethods.keptRows(of: wide, rows: rows, columns: columns, keeping: keptRows)
          : ReferenceMethods.keptColumns(
            of: wide, rows: rows, columns: columns, keeping: keptColumns)
      }
      let copiedHalves = copied(halves, alongRows: alongRows).map(\.widened)
      #expect(copiedHalves == expected(halves.map(\.widened)), "along rows \(alongRows)")
      let copiedBrains = copied(brains, alongRows: alongRows).map(\.widened)
      #expect(copiedBrains == expected(brains.map(\.widened)), "along rows \(alongRows)")
    }
  }

  // MARK: - Channel groups

  /// Joint channel scores equal the Double reference within a relative 1e-5 under L2 (the
  /// Taylor proxy too) and L1; the bias follows the channels without scoring them; the
  /// scores do not depend on the thread count; random scores are one LCG step per channel.
  @Test func channelScoresFollowTheReference() throws {
    let mlp = try MLP(seed: 9_300, channels: 37, inputs: 20, outputs: 11)
    for metric in [ImportanceMetric.l2Magnitude, .taylorProxy, .l1Magnitude] {
      let config = try PruningConfig(sparsity: 0.5, metric: metric)
      let scores = try mlp.channelScores(config).scores
      let reference = referenceChannelScores(
        producers: [mlp.up.values, mlp.gate.values], consumers: [(mlp.down.values, 11)],
        channels: 37, l1: metric == .l1Magnitude)
      let far = scores.indices.filter { !close(Double(scores[$0]), reference[$0], relative: 1e-5) }
      #expect(far.isEmpty, "\(metric): channels \(far.prefix(5))")
      #expect(bitIdentical(try mlp.channelScores(config, threads: 1).scores, scores))
      #expect(bitIdentical(try mlp.channelScores(config, threads: 5).scores, scores))
      // Without the bias: the same scores.
      var unbiased = try ChannelScores(channels: 37, config: config)
      try unbiased.addProducer(mlp.up.values.span, shape: [37, 20], name: "up")
      try unbiased.addProducer(mlp.gate.values.span, shape: [37, 20], name: "gate")
      try unbiased.addConsumer(mlp.down.values.span, shape: [11, 37], name: "down")
      #expect(bitIdentical(unbiased.scores, scores))
    }
    let random = try mlp.channelScores(try PruningConfig(sparsity: 0.5, metric: .random(seed: 3)))
    #expect(random.scores == ReferencePruning.randomUnitScores(seed: 3, units: 37))
  }

  /// Channel scores of Float16 tensors are those of their widened Float copies.
  @Test func halfPrecisionChannelScoresMatchTheWidenedCopy() throws {
    var generator = SeededGenerator(seed: 9_350)
    let producer = generator.uniformFloats(24 * 70).map { Float16($0) }
    let consumer = generator.uniformFloats(5 * 24).map { Float16($0) }
    let config = try PruningConfig(sparsity: 0.25, metric: .l2Magnitude)
    var narrow = try ChannelScores(channels: 24, config: config)
    try narrow.addProducer(producer.span, shape: [24, 70], name: "p")
    try narrow.addConsumer(consumer.span, shape: [5, 24], name: "c")
    let wideProducer = producer.map(\.widened)
    let wideConsumer = consumer.map(\.widened)
    var wide = try ChannelScores(channels: 24, config: config)
    try wide.addProducer(wideProducer.span, shape: [24, 70], name: "p")
    try wide.addConsumer(wideConsumer.span, shape: [5, 24], name: "c")
    #expect(bitIdentical(narrow.scores, wide.scores))
    #expect(narrow.keptChannels() == wide.keptChannels())
  }

  /// The kept channels are all but the floor(s × C) lowest-scoring (ties to the lower
  /// index), at least minNonzero of them; compacting the MLP to them computes exactly what
  /// the MLP with the other channels zeroed computes, with identity and ReLU activations.
  @Test(arguments: [0.0, 0.25, 0.5, 0.9])
  func compactedMLPComputesTheZeroedMLP(sparsity: Double) throws {
    let channels = 48
    let mlp = try MLP(seed: 9_400, channels: channels, inputs: 16, outputs: 9)
    var generator = SeededGenerator(seed: 9_401)
    for minNonzero in [1, 10] {
      let config = try PruningConfig(
        sparsity: sparsity, metric: .l2Magnitude, minNonzero: minNonzero)
      let scores = try mlp.channelScores(config)
      let kept = scores.keptChannels()
      let k = min(Int((sparsity * Double(channels)).rounded(.down)), channels - minNonzero)
      #expect(kept.count == channels - k, "sparsity \(sparsity) minNonzero \(minNonzero)")
      let referencePruned = ReferencePruning.prunedBySorting(scores.scores, k: k)
      #expect(kept == indices(where: referencePruned.map { !$0 }))
      let compact = try mlp.keeping(kept)
      #expect(compact.up.shape == [kept.count, 16] && compact.down.shape == [9, kept.count])
      let zeroed = try mlp.zeroing(allBut: kept)
      for _ in 0 ..< 3 {
        let x = vector(&generator, 16)
        for activation in [{ (v: Double) in v }, { (v: Double) in max(0, v) }] {
          let reduced = compact.forward(x, activation: activation)
          #expect(reduced == zeroed.forward(x, activation: activation))
        }
      }
    }
  }

  /// Equal channel scores keep the higher channels: with identical channels the first k go.
  @Test func tiedChannelsPruneTheLowerIndices() throws {
    let row: [Float] = [1, -2, 3]
    let up = (0 ..< 8).flatMap { _ in row }
    let down = [Float](repeating: 0.5, count: 2 * 8)
    var scores = try ChannelScores(channels: 8, config: try .unstructuredL1(sparsity: 0.5))
    try scores.addProducer(up.span, shape: [8, 3], name: "up")
    try scores.addConsumer(down.span, shape: [2, 8], name: "down")
    #expect(scores.scores == Array(repeating: 7, count: 8))
    #expect(scores.keptChannels() == [4, 5, 6, 7])
  }

  /// Tensors whose shapes do not carry the channels, values that do not fill the shape,
  /// metrics that need per-tensor input and non-finite weights are errors.
  @Test func channelErrors() throws {
    let config = try PruningConfig(sparsity: 0.5)
    var scores = try ChannelScores(channels: 4, config: config)
    let twelve = [Float](repeating: 1, count: 12)
    let bias = [Float](repeating: 1, count: 4)
    try scores.addProducer(bias.span, shape: [4], name: "b")
    #expect(scores.scores == [0, 0, 0, 0], "a bias does not score")
    for shape in [[3, 4], [12], [4, 3, 1], [5]] {
      let error = try #require(throws: PruningError.self) {
        try scores.addProducer(twelve.span, shape: shape, name: "p")
      }
      guard case .channelMismatch(let name, _) = error else {
        Issue.record("wrong error \(error) for \(shape)")
        continue
      }
      #expect(name == "p")
    }
    for shape in [[4, 3], [12], [1, 3, 4]] {
      let error = try #require(throws: PruningError.self) {
        try scores.addConsumer(twelve.span, shape: shape, name: "c")
      }
      guard case .channelMismatch(let name, _) = error else {
        Issue.record("wrong error \(error) for \(shape)")
        continue
      }
      #expect(name == "c")
    }
    #expect(throws: PruningError.shapeMismatch(name: "p", shape: [4, 4], valueCount: 12)) {
      try scores.addProducer(twelve.span, shape: [4, 4], name: "p")
    }
    #expect(throws: PruningError.shapeMismatch(name: "c", shape: [2, 4], valueCount: 12)) {
      try scores.addConsumer(twelve.span, shape: [2, 4], name: "c")
    }
    var corrupt = twelve
    corrupt[5] = .nan
    #expect(throws: PruningError.nonFiniteWeights(name: "p", count: 1)) {
      try scores.addProducer(corrupt.span, shape: [4, 3], name: "p")
    }
    #expect(throws: PruningError.nonFiniteWeights(name: "c", count: 1)) {
      try scores.addConsumer(corrupt.span, shape: [3, 4], name: "c")
    }
    // A tensor whose addition threw was not added.
    #expect(scores.scores == [0, 0, 0, 0])
    // Random scores read no weights, yet corrupted ones are rejected as for the norms.
    var random = try ChannelScores(
      channels: 4, config: try PruningConfig(sparsity: 0.5, metric: .random(seed: 1)))
    #expect(throws: PruningError.nonFiniteWeights(name: "p", count: 1)) {
      try random.addProducer(corrupt.span, shape: [4, 3], name: "p")
    }
    #expect(throws: PruningError.nonFiniteWeights(name: "c", count: 1)) {
      try random.addConsumer(corrupt.span, shape: [3, 4], name: "c")
    }
    try random.addConsumer(twelve.span, shape: [3, 4], name: "c")
    try scores.addProducer(twelve.span, shape: [4, 3], name: "p")
    #expect(scores.scores.allSatisfy { $0 > 0 })
    for metric in [ImportanceMetric.wanda, .taylor, .supplied] {
      #expect(throws: PruningError.unsupportedChannelMetric(metric: metric.name)) {
        try ChannelScores(channels: 4, config: try PruningConfig(sparsity: 0.5, metric: metric))
      }
    }
  }
}
