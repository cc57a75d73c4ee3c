// The random metric: a 64-bit LCG every implementation can reproduce bit for bit.
//   state = state &* 6364136223846793005 &+ 1442695040888963407
//   value = Float(UInt32(state >> 32)) / 4294967296
// Per element: one step per element in order from the seed (element i uses the state after
// i + 1 steps). Per row or column u: one step from seed &+ u.

import Testing
import TestSupport
@testable import Pruning

/// The LCG written out by hand, independently of the library and of TestSupport.
private func step(_ state: UInt64) -> UInt64 {
  state &* 6364136223846793005 &+ 1442695040888963407
}

private func value(_ state: UInt64) -> Float {
  Float(UInt32(state >> 32)) / 4294967296
}

private func handScores(seed: UInt64, count: Int) -> [Float] {
  var state = seed
  var scores = [Float]()
  for _ in 0 ..< count {
    state = step(state)
    scores.append(value(state))
  }
  return scores
}

@Suite struct RandomScoresTests {
  @Test func constantsAreKnuthsMMIX() {
    #expect(RandomScores.multiplier == 6364136223846793005)
    #expect(RandomScores.increment == 1442695040888963407)
  }

  @Test func seedZeroFirstStateIsTheIncrement() {
    // One step from 0 is 0·a + c = c.
    let first = step(0)
    #expect(first == 1442695040888963407)
    #expect(first >> 32 == 335903614)
    let expected = Float(UInt32(1442695040888963407 >> 32)) / 4294967296
    #expect(RandomScores.elementScores(seed: 0, count: 1) == [expected])
    #expect(expected == 0.078_208_655_118_942_26)
    #expect(RandomScores.unitScore(seed: 0, unit: 0) == expected)
  }

  @Test func firstValuesMatchPrecomputedConstants() {
    // Computed outside Swift (Python integers, numpy float32).
    #expect(
      RandomScores.elementScores(seed: 0, count: 4) == [
        0.078_208_655_118_942_26, 0.101_698_763_668_537_14, 0.605_323_314_666_748,
        0.401_216_208_934_783_94,
      ])
    #expect(
      RandomScores.elementScores(seed: 42, count: 4) == [
        0.568_230_330_944_061_3, 0.225_463_435_053_825_38, 0.412_838_310_003_280_64,
        0.630_398_035_049_438_5,
      ])
    // Unit seeds wrap: seed UInt64.max, unit 1 is one step from 0.
    #expect(RandomScores.unitScore(seed: .max, unit: 0) == 0.733_208_119_869_232_2)
    #expect(RandomScores.unitScore(seed: .max, unit: 1) == 0.078_208_655_118_942_26)
    #expect(RandomScores.unitScore(seed: .max, unit: 2) == 0.423_209_160_566_329_96)
  }

  @Test(arguments: [0, 1, 42, 0xDEAD_BEEF, UInt64.max, 1 << 63])
  func elementScoresFollowTheSequence(seed: UInt64) throws {
    let expected = handScores(seed: seed, count: 1000)
    #expect(RandomScores.elementScores(seed: seed, count: 1000) == expected)
    // Element i uses the state after i + 1 steps.
    var state = seed
    for _ in 0 ..< 500 { state = step(state) }
    #expect(expected[499] == value(state))

    let t = try tensor([Float](repeating: 1, count: 1000))
    let scores = try t.importanceScores(metric: .random(seed: seed))
    #expect(scores.values == expected)
    #expect(scores.metric == .random(seed: seed))
    #expect(scores.values.allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  @Test(arguments: [0, 5, 99, UInt64.max - 3])
  func unitScoresAreOneStepFromSeedPlusUnit(seed: UInt64) throws {
    let rows = 9
    let columns = 5
    let t = try tensor((0 ..< rows * columns).map(Float.init), shape: [rows, columns])
    let rowScores = try t.importanceScores(metric: .random(seed: seed), granularity: .rows)
    #expect(rowScores.values == (0 ..< rows).map { value(step(seed &+ UInt64($0))) })
    let columnScores = try t.importanceScores(metric: .random(seed: seed), granularity: .columns)
    #expect(columnScores.values == (0 ..< columns).map { value(step(seed &+ UInt64($0))) })
    for unit in 0 ..< rows {
      #expect(RandomScores.unitScore(seed: seed, unit: unit) == value(step(seed &+ UInt64(unit))))
    }
  }

  @Test func scoreIsUpperBitsOverTwoToThe32RoundedToFloat() {
    #expect(RandomScores.score(0) == 0)
    #expect(RandomScores.score(0x0000_0000_FFFF_FFFF) == 0)
    #expect(RandomScores.score(0x8000_0000_0000_0000) == 0.5)
    #expect(RandomScores.score(0x0000_0001_0000_0000) == 0x1p-32)
    // The upper 32 bits round up to 2³² in Float: a score of exactly 1.
    #expect(RandomScores.score(0xFFFF_FFFF_0000_0000) == 1)
    #expect(RandomScores.score(0xFFFF_FF00_0000_0000) == Float(0xFFFF_FF00 as UInt32) / 0x1p32)
  }

  @Test(arguments: [0, 1, 2, 3, 63, 64, 65, 1000, 65_536, 65_539, 300_001])
  func jumpAheadEqualsSteppingOneByOne(steps: Int) {
    for seed: UInt64 in [0, 7, .max] {
      var state = seed
      for _ in 0 ..< steps { state = step(state) }
      #expect(RandomScores.state(seed, advancedBy: steps) == state, "seed \(seed)")
    }
  }

  @Test func randomPruningOfABigTensorEqualsTheSequentialReference() throws {
    // 300 000 elements: more than one 65 536-unit chunk, so the keys of later chunks come
    // from the jump-ahead, and more than the sample size, so the bracketed path runs.
    let count = 300_000
    var generator = SeededGenerator(seed: 11)
    let values = generator.uniformFloats(count)
    let seed: UInt64 = 2024
    let scores = handScores(seed: seed, count: count)
    let k = ReferencePruning.prunedUnitCount(
      sparsity: 0.37, units: count, unitSize: 1, minNonzero: 1)
    #expect(k == 111_000)
    let expectedKept = ReferencePruning.pruned(scores, k: k).map { !$0 }
    for threads in [1, 2] {
      var t = try tensor(values, name: "big")
      let mask = try pruner(sparsity: 0.37, metric: .random(seed: seed), threads: threads)
        .prune(&t)
      #expect(mask.prunedCount == k)
      #expect(keptFlags(mask) == expectedKept, "threads \(threads)")
      #expect(
        zip(t.values, zip(values, expectedKept)).allSatisfy { pruned, original in
          original.1 ? pruned.bitPattern == original.0.bitPattern : pruned.bitPattern == 0
        })
    }
  }

  @Test func randomStructuredPruningFollowsTheUnitScores() throws {
    let rows = 40
    let columns = 25
    var generator = SeededGenerator(seed: 3)
    let values = generator.uniformFloats(rows * columns)
    for granularity in [PruningGranularity.rows, .columns] {
      let units = granularity == .rows ? rows : columns
      let scores = (0 ..< units).map { value(step(77 &+ UInt64($0))) }
      let unitPruned = ReferencePruning.prunedBySorting(scores, k: units / 2)
      let expected = ReferencePruning.elementKept(
        unitPruned: unitPruned, granularity: granularity.reference, rows: rows, columns: columns)
      var t = try tensor(values, shape: [rows, columns])
      let mask = try pruner(sparsity: 0.5, metric: .random(seed: 77), granularity: granularity)
        .prune(&t)
      #expect(keptFlags(mask) == expected)
    }
  }

  @Test func randomScoresIgnoreTheWeights() throws {
    var a = try tensor([1, 2, 3, 4, 5, 6, 7, 8])
    var b = try tensor([-8, 7, -6, 5, -4, 3, -2, 1])
    let p = try pruner(sparsity: 0.5, metric: .random(seed: 9))
    #expect(try p.prune(&a) == p.prune(&b))
  }
}
