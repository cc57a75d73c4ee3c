// Edge cases of the new methods that a review found: concurrent bands of a grouped selection
// writing next to each other, NaN weights whose sign bit is set (the x86 default NaN), max
// pooling over a NaN, block sides that would overflow the grid arithmetic, empty
// activations, and schedules at the ends of Int.

import Foundation
@testable import Pruning
import Testing
import TestSupport

@Suite struct MethodEdgeCaseTests {
  /// Rows that are not a multiple of 64 weights put a band's last group next to the next
  /// band's first word: with two threads, the result must still equal the reference, every
  /// time.
  @Test(arguments: [(64, 100, nil), (96, 100, 50), (40, 70, 35)] as [(Int, Int, Int?)])
  func bandsNeverLoseTheirNeighboursBits(rows: Int, columns: Int, group: Int?) throws {
    var generator = SeededGenerator(seed: UInt64(rows * columns))
    let values = generator.floats(rows * columns)
    let scores = values.map { abs($0) }
    let config = try group.map { try PruningConfig.semiStructured(keep: $0 / 2, of: $0) }
      ?? PruningConfig(sparsity: 0.5, scope: .perRow)
    let expected =
      group.map {
        ReferenceMethods.nOfMPruned(scores: scores, rows: rows, columns: columns, keep: $0 / 2, of: $0)
      }
      ?? ReferenceMethods.perRowPruned(
        scores: scores, rows: rows, columns: columns, sparsity: 0.5, minNonzero: 1)
    for _ in 0 ..< 20 {
      var t = try tensor(values, shape: [rows, columns])
      let mask = try Pruner(config, threadCount: 2).prune(&t)
      #expect(differences(prunedFlags(mask), expected) == nil)
    }
  }

  /// A NaN with its sign bit set squares to a negative NaN; times a zero norm, ±Inf gives the
  /// same. Either way the weight is reported, not ranked.
  @Test func negativeNaNWeightsAreReportedWhateverThePath() throws {
    let negativeNaN = -Float.nan
    #expect(negativeNaN.sign == .minus)
    var values = [Float](repeating: 0.5, count: 64)
    values[7] = negativeNaN
    let configs: [(PruningConfig, ScoreInput?)] = [
      (try PruningConfig(sparsity: 0.5, metric: .l2Magnitude, iterative: .total), nil),
      (try PruningConfig(sparsity: 0.5, metric: .l2Magnitude, scope: .perRow), nil),
      (try PruningConfig(
        sparsity: 0.5, metric: .l1Magnitude,
        granularity: .blocks(try BlockShape(rows: 2, columns: 4, pooling: .max))), nil),
      (try PruningConfig(sparsity: 0.5, metric: .wanda), .inputNorms([Float](repeating: 0, count: 8))),
    ]
    for (config, input) in configs {
      var t = try tensor(values, shape: [8, 8], name: "w")
      #expect(throws: PruningError.nonFiniteWeights(name: "w", count: 1), "\(config)") {
        try Pruner(config).prune(&t, input: input)
      }
    }
    var model = [try tensor(values, shape: [8, 8], name: "w")]
    let global = try PruningConfig(sparsity: 0.5, metric: .l2Magnitude, scope: .global)
    #expect(throws: PruningError.nonFiniteWeights(name: "w", count: 1)) {
      try Pruner(global).prune(&model)
    }
    var infinite = values
    infinite[7] = -.infinity
    var t = try tensor(infinite, shape: [8, 8], name: "w")
    #expect(throws: PruningError.nonFiniteWeights(name: "w", count: 1)) {
      try Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda))
        .prune(&t, input: .inputNorms([Float](repeating: 0, count: 8)))
    }
  }

  /// Block sides up to Int.max make one block across that dimension.
  @Test func hugeBlockSidesMakeOneBlock() throws {
    let values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    var t = try tensor(values, shape: [3, 4])
    let shape = try BlockShape(rows: .max, columns: 2)
    let mask = try Pruner(try PruningConfig(sparsity: 0.5, granularity: .blocks(shape))).prune(&t)
    #expect(t.values == [0, 0, 3, 4, 0, 0, 7, 8, 0, 0, 11, 12])
    #expect(mask.prunedCount == 6)
  }

  /// Calibration inputs with no features give no norms; with no samples, zero norms.
  @Test func activationNormsOfEmptyShapes() throws {
    let none = [Float]()
    #expect(try ActivationNorms.columnNorms(of: none.span, shape: [3, 0], name: "x") == [])
    #expect(try ActivationNorms.columnNorms(of: none.span, shape: [0, 4], name: "x") == [0, 0, 0, 0])
  }

  /// Steps at the ends of Int do not overflow, and a decoded schedule is checked.
  @Test func schedulesAtTheEndsOfInt() throws {
    let schedule = try GradualSchedule(initial: 0.1, final: 0.9, startStep: .min, endStep: .max)
    #expect(schedule.sparsity(atStep: .min) == 0.1)
    #expect(schedule.sparsity(atStep: .max) == 0.9)
    let middle = schedule.sparsity(atStep: 0)
    #expect(middle > 0.1 && middle < 0.9)
    let invalid = Data(#"{"initial": 0, "final": 1.5, "startStep": 0, "endStep": 10}"#.utf8)
    #expect(throws: PruningError.invalidSchedule("final sparsity 1.5 is outside [0, 1)")) {
      try JSONDecoder().decode(GradualSchedule.self, from: invalid)
    }
  }
}
