// Ties: equal scores are pruned lowest index first, whatever the granularity, the size of
// the tensor (one chunk or many), or the thread count.

import Testing
import TestSupport
@testable import Pruning

@Suite struct TieTests {
  @Test(arguments: [1, 2, 10, 4096, 4097, 65_600, 140_000])
  func allEqualValuesPruneTheFirstK(count: Int) throws {
    let values = [Float](repeating: -0.75, count: count)
    for sparsity in count > 10_000 ? [0.001, 0.5, 0.999] : [0.0, 0.001, 0.5, 0.999] {
      let k = Int((sparsity * Double(count)).rounded(.down))
      let expected = min(k, count - 1)
      for threads in [1, 3] {
        for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
          var t = try tensor(values)
          let mask = try pruner(sparsity: sparsity, metric: metric, threads: threads).prune(&t)
          #expect(mask.prunedCount == expected)
          // The pruned ones are exactly 0 ..< expected: the first kept index is `expected`.
          #expect(expected == count || mask[expected])
          #expect(expected == 0 || !mask[expected - 1])
          #expect(mask.words.prefix(expected / 64).allSatisfy { $0 == 0 })
          #expect(t.values.prefix(expected).allSatisfy { $0.bitPattern == 0 })
          #expect(t.values.dropFirst(expected).allSatisfy { $0 == -0.75 })
        }
      }
    }
  }

  @Test(arguments: [3, 100, 5000, 70_001])
  func fewDistinctValuesFollowTheReference(count: Int) throws {
    var generator = SeededGenerator(seed: 90 + UInt64(count))
    let values = fastTiedFloats(&generator, count, distinct: 5)
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      let scores = ReferencePruning.elementScores(values, metric: metric.reference)
      for sparsity in count > 10_000 ? [0.21, 0.63] : [0.1, 0.21, 0.5, 0.63, 0.9] {
        let k = ReferencePruning.prunedUnitCount(
          sparsity: sparsity, units: count, unitSize: 1, minNonzero: 1)
        let expected = ReferencePruning.pruned(scores, k: k).map { !$0 }
        for threads in [1, 2] {
          var t = try tensor(values)
          let mask = try pruner(sparsity: sparsity, metric: metric, threads: threads).prune(&t)
          #expect(keptFlags(mask) == expected, "\(metric) \(sparsity) threads \(threads)")
        }
      }
    }
  }

  @Test func equalRowsPruneTheFirstRows() throws {
    let (rows, columns) = (12, 5)
    let row: [Float] = [1, -2, 3, -4, 5]
    let values = (0 ..< rows).flatMap { _ in row }
    for metric in allMetrics where metric.name != "random" {
      var t = try tensor(values, shape: [rows, columns])
      let mask = try pruner(sparsity: 0.5, metric: metric, granularity: .rows).prune(&t)
      #expect(keptFlags(mask) == (0 ..< rows * columns).map { $0 / columns >= 6 })
    }
  }

  @Test func equalColumnsPruneTheFirstColumns() throws {
    let (rows, columns) = (5, 12)
    let values = (0 ..< rows * columns).map { Float($0 / columns + 1) }
    for metric in allMetrics where metric.name != "random" {
      var t = try tensor(values, shape: [rows, columns])
      let mask = try pruner(sparsity: 0.75, metric: metric, granularity: .columns).prune(&t)
      #expect(keptFlags(mask) == (0 ..< rows * columns).map { $0 % columns >= 9 })
    }
  }

  @Test func fewDistinctRowAndColumnNorms() throws {
    // Units are all-1 or all-2 (or all-0), in a scrambled order.
    var generator = SeededGenerator(seed: 93)
    let (rows, columns) = (60, 70)
    let rowLevels = (0 ..< rows).map { _ in Float(Int.random(in: 0 ... 2, using: &generator)) }
    let columnLevels = (0 ..< columns).map { _ in
      Float(Int.random(in: 0 ... 2, using: &generator))
    }
    for granularity in [PruningGranularity.rows, .columns] {
      let values = (0 ..< rows * columns).map { index in
        granularity == .rows ? rowLevels[index / columns] : -columnLevels[index % columns]
      }
      let levels = granularity == .rows ? rowLevels : columnLevels
      for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude, .taylorProxy] {
        for sparsity in [0.2, 0.4, 0.5, 0.8] {
          let units = levels.count
          let k = ReferencePruning.prunedUnitCount(
            sparsity: sparsity, units: units, unitSize: rows * columns / units, minNonzero: 1)
          // Norms order as the levels do, and equal levels give bit-equal norms.
          let unitPruned = ReferencePruning.prunedBySorting(levels, k: k)
          let expected = ReferencePruning.elementKept(
            unitPruned: unitPruned, granularity: granularity.reference, rows: rows,
            columns: columns)
          for threads in [1, 3] {
            var t = try tensor(values, shape: [rows, columns])
            let mask = try pruner(
              sparsity: sparsity, metric: metric, granularity: granularity, threads: threads
            ).prune(&t)
            #expect(keptFlags(mask) == expected, "\(granularity) \(metric) \(sparsity)")
          }
        }
      }
    }
  }

  @Test func tiesSpreadOverManyChunksAreTakenInIndexOrder() throws {
    // 140 000 elements (three chunks), two values; the threshold value's ties run through
    // every chunk, so each chunk's quota depends on the ones before it.
    var generator = SeededGenerator(seed: 94)
    let count = 140_000
    let values = generator.uniformFloats(count, in: 0 ... 1).map { $0 < 0.5 ? Float(1) : 2 }
    let ones = values.filter { $0 == 1 }.count
    let sorted = ReferencePruning.sortedScores(values)
    for k in [1, ones / 2, ones, ones + 1, count - 1] {
      let sparsity = (Double(k) + 0.5) / Double(count)
      let expectedPruned = ReferencePruning.pruned(values, k: k, sorted: sorted)
      for threads in [1, 3] {
        var t = try tensor(values)
        let mask = try pruner(sparsity: sparsity, threads: threads).prune(&t)
        #expect(mask.prunedCount == k)
        #expect(
          mask == PruningMask(kept: expectedPruned.map { !$0 }), "k = \(k) threads \(threads)")
      }
    }
  }
}
