// Importance scores: what each metric gives per element and per unit, the threshold of a
// pruning decision, the fraction at or below it, and the top k.

import Testing
import TestSupport
@testable import Pruning

@Suite struct ImportanceScoresTests {
  @Test func l1ScoresAreAbsoluteValues() throws {
    let scores = try tensor([-2, 1, -0.5]).importanceScores(metric: .l1Magnitude)
    #expect(scores.values == [2, 1, 0.5])
    #expect(scores.metric == .l1Magnitude)
    #expect(scores.granularity == .unstructured)
    #expect(scores.threshold == 0)
  }

  @Test func l2ScoresAreSquares() throws {
    let scores = try tensor([-2, 1, -0.5, 3]).importanceScores(metric: .l2Magnitude)
    #expect(scores.values == [4, 1, 0.25, 9])
  }

  @Test func negativeZeroScoresPositiveZero() throws {
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      let scores = try tensor([-0.0, 1]).importanceScores(metric: metric)
      #expect(scores.values[0] == 0)
      #expect(scores.values[0].sign == .plus)
    }
  }

  @Test func smallMatrixRowAndColumnNormsExactly() throws {
    // [[3, 4], [-6, 8]]
    let t = try tensor([3, 4, -6, 8], shape: [2, 2])
    #expect(try t.importanceScores(metric: .l1Magnitude, granularity: .rows).values == [7, 14])
    #expect(try t.importanceScores(metric: .l2Magnitude, granularity: .rows).values == [5, 10])
    #expect(try t.importanceScores(metric: .l1Magnitude, granularity: .columns).values == [9, 12])
    let columnsL2 = try t.importanceScores(metric: .l2Magnitude, granularity: .columns).values
    #expect(columnsL2 == [Float(45.0.squareRoot()), Float(80.0.squareRoot())])
  }

  @Test(arguments: PruningGranularity.all)
  func taylorProxyScoresExactlyAsL2(granularity: PruningGranularity) throws {
    var generator = SeededGenerator(seed: 21)
    let t = try tensor(generator.uniformFloats(37 * 23, in: -3 ... 3), shape: [37, 23])
    let taylor = try t.importanceScores(metric: .taylorProxy, granularity: granularity)
    let l2 = try t.importanceScores(metric: .l2Magnitude, granularity: granularity)
    #expect(taylor.values == l2.values)
    #expect(taylor.metric == .taylorProxy)
    #expect(taylor.granularity == granularity)
    for sparsity in [0.1, 0.5, 0.9] {
      var a = t
      var b = t
      let maskTaylor = try pruner(
        sparsity: sparsity, metric: .taylorProxy, granularity: granularity
      ).prune(&a)
      let maskL2 = try pruner(
        sparsity: sparsity, metric: .l2Magnitude, granularity: granularity
      ).prune(&b)
      #expect(maskTaylor == maskL2)
      #expect(a == b)
    }
  }

  @Test func unstructuredScoresOfAnyShapeAreElementwise() throws {
    var generator = SeededGenerator(seed: 22)
    let values = generator.uniformFloats(60)
    for shape in [[60], [6, 10], [3, 4, 5], [2, 3, 2, 5]] {
      let t = try tensor(values, shape: shape)
      #expect(try t.importanceScores(metric: .l1Magnitude).values == values.map { abs($0) })
      #expect(try t.importanceScores(metric: .l2Magnitude).values == values.map { $0 * $0 })
    }
  }

  // MARK: - Threshold

  @Test func thresholdIsZeroWithoutADecision() throws {
    var generator = SeededGenerator(seed: 23)
    let t = try tensor(generator.uniformFloats(40, in: 1 ... 2), shape: [5, 8])
    for metric in allMetrics {
      for granularity in PruningGranularity.all {
        let scores = try t.importanceScores(metric: metric, granularity: granularity)
        #expect(scores.threshold == 0)
        #expect(scores.fractionAtOrBelowThreshold == 0)
      }
    }
  }

  @Test func thresholdOfOneToTenAtThirtyPercentIsThree() throws {
    let t = try tensor((1 ... 10).map(Float.init))
    let scores = try Pruner(try .unstructuredL1(sparsity: 0.3)).importanceScores(of: t)
    #expect(scores.values == (1 ... 10).map(Float.init))
    #expect(scores.threshold == 3)
    #expect(scores.fractionAtOrBelowThreshold == 0.3)
  }

  @Test func thresholdIsZeroWhenTheDecisionPrunesNothing() throws {
    let t = try tensor([5, 6, 7])
    #expect(try pruner(sparsity: 0.2).importanceScores(of: t).threshold == 0)
    #expect(try pruner(sparsity: 0.9, minNonzero: 3).importanceScores(of: t).threshold == 0)
  }

  @Test func thresholdWithTiesAndFractionAboveThePrunedFraction() throws {
    let t = try tensor([2, 1, 1, 3, 1, 1])
    let scores = try pruner(sparsity: 0.5).importanceScores(of: t)
    // k = 3, all of them 1s; four scores are at or below 1.
    #expect(scores.threshold == 1)
    #expect(scores.fractionAtOrBelowThreshold == 4.0 / 6.0)
  }

  @Test func fractionAtOrBelowAZeroThresholdCountsZeroScores() throws {
    let scores = try tensor([0, 1, -0.0, 2, 0]).importanceScores(metric: .l1Magnitude)
    #expect(scores.threshold == 0)
    #expect(scores.fractionAtOrBelowThreshold == 0.6)
  }

  @Test func thresholdIsTheKthLowestScoreForEveryGranularityAndMetric() throws {
    var generator = SeededGenerator(seed: 24)
    let t = try tensor(generator.tiedFloats(30 * 17, distinct: 9), shape: [30, 17])
    for metric in allMetrics {
      for granularity in PruningGranularity.all {
        for sparsity in [0.0, 0.07, 0.33, 0.5, 0.8, 0.99] {
          let config = try PruningConfig(
            sparsity: sparsity, metric: metric, granularity: granularity, minNonzero: 0)
          let scores = try Pruner(config).importanceScores(of: t)
          let plain = try t.importanceScores(metric: metric, granularity: granularity)
          #expect(scores.values == plain.values)
          let units = scores.values.count
          #expect(units == [30 * 17, 30, 17][PruningGranularity.all.firstIndex(of: granularity)!])
          let k = ReferencePruning.prunedUnitCount(
            sparsity: sparsity, units: units, unitSize: 30 * 17 / units, minNonzero: 0)
          let expected = k == 0 ? 0 : ReferencePruning.kthLowest(scores.values, k: k)
          #expect(scores.threshold == expected, "\(metric) \(granularity) \(sparsity)")
          let atOrBelow = scores.values.filter { $0 <= expected }.count
          #expect(scores.fractionAtOrBelowThreshold == Double(atOrBelow) / Double(units))
          #expect(scores.fractionAtOrBelowThreshold >= Double(k) / Double(units))
          // The pruning itself prunes exactly the units below, and some at, the threshold.
          var copy = t
          let mask = try Pruner(config).prune(&copy)
          let unitKept = (0 ..< units).map { unit in
            switch granularity {
            case .unstructured: mask[unit]
            case .rows: mask[unit * 17]
            case .columns: mask[unit]
            case .semiStructured, .blocks: preconditionFailure("not tested here")
            }
          }
          for unit in 0 ..< units where k > 0 {
            if scores.values[unit] < expected { #expect(!unitKept[unit]) }
            if scores.values[unit] > expected { #expect(unitKept[unit]) }
          }
        }
      }
    }
  }

  @Test func thresholdOfALargeTensorUsesTheSelection() throws {
    var generator = SeededGenerator(seed: 25)
    let values = generator.uniformFloats(70_000)
    let t = try tensor(values)
    for sparsity in [0.000_1, 0.5, 0.999_9] {
      let scores = try pruner(sparsity: sparsity, metric: .l2Magnitude, minNonzero: 0)
        .importanceScores(of: t)
      let k = Int(sparsity * 70_000)
      #expect(scores.threshold == ReferencePruning.kthLowest(values.map { $0 * $0 }, k: k))
    }
  }

  // MARK: - Top k

  @Test(arguments: [1, 2, 5, 100, 4096, 4097, 10_000])
  func topKIsTheHighestScoresDescending(count: Int) throws {
    var generator = SeededGenerator(seed: UInt64(count))
    let values = count % 2 == 0
      ? generator.uniformFloats(count) : generator.tiedFloats(count, distinct: 7)
    let scores = try tensor(values).importanceScores(metric: .l1Magnitude)
    let sorted = values.map { abs($0) }.sorted(by: >)
    for k in Set([0, 1, 2, count / 3, count - 1, count, count + 5]) where k >= 0 {
      let top = scores.topK(k)
      #expect(top == Array(sorted.prefix(k)), "k = \(k)")
    }
  }

  @Test func topKOfRowScores() throws {
    let t = try tensor([1, 1, 5, 5, 3, 3, 0, 0], shape: [4, 2])
    let scores = try t.importanceScores(metric: .l1Magnitude, granularity: .rows)
    #expect(scores.topK(2) == [10, 6])
    #expect(scores.topK(9) == [10, 6, 2, 0])
  }
}
