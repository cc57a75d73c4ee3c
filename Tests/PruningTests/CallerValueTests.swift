// Public entry points never trap on values a caller can pass: counts, shapes, steps, units
// and fractions from a caller are checked and answered with a typed error (or, where the
// value has a natural answer, with that answer). Each case here trapped before.

import Foundation
import Testing
import TestSupport
@testable import Pruning

@Suite struct CallerValueTests {
  @Test func channelScoresRejectBadCountsAndShapes() throws {
    let config = try PruningConfig(sparsity: 0.5, metric: .l2Magnitude)
    #expect(throws: PruningError.negativeCount(what: "channel count", count: -1)) {
      try ChannelScores(channels: -1, config: config)
    }
    var two = try ChannelScores(channels: 2, config: config)
    let values: [Float] = [1, 2, 3, 4]
    #expect(throws: PruningError.shapeMismatch(name: "d", shape: [Int.max, 2], valueCount: 4)) {
      try two.addConsumer(values.span, shape: [Int.max, 2], name: "d")
    }
    var none = try ChannelScores(channels: 0, config: config)
    #expect(throws: PruningError.shapeMismatch(name: "u", shape: [0, -5], valueCount: 0)) {
      try none.addProducer([Float]().span, shape: [0, -5], name: "u")
    }
    // minNonzero near Int.max keeps every channel rather than overflowing the cap.
    let all = try ChannelScores(
      channels: 3, config: PruningConfig(sparsity: 0.5, metric: .l1Magnitude, minNonzero: .max))
    #expect(all.keptChannels() == [0, 1, 2])
  }

  @Test func percentPrintsAnyDouble() {
    #expect(Percent(0.5).description == "50.00%")
    #expect(Percent(-0.0051).description == "-0.51%")
    #expect(Percent(-0.00001).description == "0.00%")
    #expect(Percent(.nan).description == "nan%")
    #expect(Percent(-.infinity).description == "-inf%")
    #expect(Percent(1e300).description == "1e+302%")
  }

  @Test func randomScoresTakeAnyUnitAndCount() {
    // One LCG step from 0 &+ UInt64(bitPattern: -1), written out.
    let state = UInt64.max &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    #expect(
      RandomScores.unitScore(seed: 0, unit: -1) == Float(UInt32(state >> 32)) / 4_294_967_296)
    #expect(RandomScores.elementScores(seed: 1, count: -3).isEmpty)
  }

  @Test func masksThrowOnBadCountsAndShapes() throws {
    #expect(throws: PruningError.negativeCount(what: "mask size", count: -1)) {
      try PruningMask(count: -1, allKept: true)
    }
    var t = try WeightTensor(name: "t", shape: [4], values: [1, 2, 3, 4])
    #expect(throws: PruningError.maskMismatch(maskCount: 3, shape: [4])) {
      try PruningMask(count: 3, allKept: false).apply(to: &t)
    }
    #expect(t.values == [1, 2, 3, 4])
    let mask = try PruningMask(count: 6, allKept: true)
    #expect(throws: PruningError.maskMismatch(maskCount: 6, shape: [Int.max, 2])) {
      try Compaction.keptRows(of: mask, rows: .max, columns: 2)
    }
    #expect(throws: PruningError.maskMismatch(maskCount: 6, shape: [2, 2])) {
      try Compaction.keptColumns(of: mask, rows: 2, columns: 2)
    }
  }

  @Test func compactionChecksItsIndices() throws {
    let m = try WeightTensor(name: "m", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
    #expect(
      throws: PruningError.invalidIndices(name: "m", problem: "kept rows: 2 is outside 0..<2")
    ) { try m.keepingRows([0, 2]) }
    #expect(
      throws: PruningError.invalidIndices(name: "m", problem: "kept columns are not strictly ascending")
    ) { try m.keepingColumns([2, 1]) }
    let v = try WeightTensor(name: "v", shape: [6], values: [1, 2, 3, 4, 5, 6])
    #expect(throws: PruningError.notAMatrix(name: "v", shape: [6], granularity: "keeping rows")) {
      try v.keepingRows([0])
    }
    #expect(try m.keepingColumns([0, 2]).values == [1, 3, 4, 6])
  }

  @Test func countsAndTopKTakeAnyInteger() throws {
    #expect(throws: PruningError.inconsistentCounts(name: "x", total: 3, nonzero: 4)) {
      try SparsityReport(name: "x", shape: [3], total: 3, nonzero: 4)
    }
    let scores = try WeightTensor(name: "t", shape: [2], values: [1, 2])
      .importanceScores(metric: .l1Magnitude)
    #expect(scores.topK(-1).isEmpty)
    #expect(scores.topK(5) == [2, 1])
  }

  /// A row longer than one CBLAS call takes (2³¹ − 1 elements) is split into calls that
  /// fit; shown here with pieces of 3 and 1 against a Double reference.
  @Test(arguments: [1, 3, 7, 100])
  func longRowsSplitIntoCallsThatFit(pieceCount: Int) {
    var generator = SeededGenerator(seed: 17_004)
    let values = generator.uniformFloats(25, in: -2 ... 2)
    let l2 = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    values.withUnsafeBufferPointer { buffer in
      let row = StridedVector.row(0, of: buffer, columns: 25)
      #expect(close(Double(BLAS.euclideanNorm(row, pieceCount: pieceCount)), l2))
    }
  }
}

/// Wrong answers and messages the stress run found, and messages that reach servers.
@Suite struct MessageTests {
  @Test func scheduleStepsNearIntMax() throws {
    let late = try GradualSchedule(final: 0.9, startStep: .max - 1, endStep: .max)
    #expect(late.sparsity(atStep: .max) == 0.9)
    #expect(late.sparsity(atStep: .max - 1) == 0)
    let wide = try GradualSchedule(final: 0.8, startStep: .min, endStep: .max)
    #expect(close(wide.sparsity(atStep: 0), 0.8 * (1 - 0.125)))
    #expect(wide.sparsity(atStep: .min) == 0 && wide.sparsity(atStep: .max) == 0.8)
  }

  @Test func activationsThatAreNotAMatrixSaySo() {
    let samples: [Float] = [1, 2]
    #expect(throws: PruningError.activationShape(name: "x", shape: [2])) {
      try ActivationNorms.columnNorms(of: samples.span, shape: [2], name: "x")
    }
    #expect(
      PruningError.activationShape(name: "x", shape: [2]).description
        == "activations \"x\" have shape [2]: calibration inputs must be [samples, features]")
  }

  @Test func patternsOfHugeGroupsAreValid() throws {
    let config = try PruningConfig.semiStructured(keep: 1, of: .max)
    #expect(config.sparsity < 1 && config.sparsity > 0.999)
    var t = try WeightTensor(name: "t", shape: [1, 4], values: [1, 2, 3, 4])
    #expect(throws: PruningError.rowNotDivisible(name: "t", columns: 4, group: .max)) {
      try Pruner(config).prune(&t)
    }
  }

  @Test func localizedDescriptionIsTheMessage() {
    let error: any Error = PruningError.nonFiniteWeights(name: "fc1.weight", count: 3)
    #expect(error.localizedDescription == "tensor \"fc1.weight\": 3 non-finite weights (NaN or ±Inf)")
  }
}
