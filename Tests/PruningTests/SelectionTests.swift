// The k-lowest selection and its keys, white-box: LowestKSelection.cut against brute force
// on key sets chosen to stress each of its paths — the small exact path, the sample bracket
// (the k-th key below lo, at lo, strictly inside, at hi), and the radix fallback when the
// bracket misses or holds too many candidates.

import Testing
import TestSupport
@testable import Pruning

/// Checks `LowestKSelection.cut` on `scores` for each of `ks` against the brute-force
/// reference (one sort of the scores serves every k).
private func expectCuts(
  _ scores: [Float], ks: [Int], threads: [Int] = [1, 3], _ comment: String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let sorted = ReferencePruning.sortedScores(scores)
  for k in ks {
    let expected = ReferencePruning.pruned(scores, k: k, sorted: sorted)
    let threshold = k == 0 ? nil : sorted[k - 1]
    let below = threshold.map { t in scores.reduce(0) { $0 + ($1 < t ? 1 : 0) } } ?? 0
    scores.withUnsafeBufferPointer { buffer in
      let keys = ScoreArrayKeys(scores: buffer)
      for threadCount in threads {
        let cut = LowestKSelection.cut(keys, pruning: k, threads: threadCount)
        let mask = cut.mask(of: keys, threads: threadCount)
        #expect(mask.prunedCount == k, "\(comment) k \(k)", sourceLocation: sourceLocation)
        #expect(
          mask == PruningMask(kept: expected.map { !$0 }),
          "\(comment) k \(k) threads \(threadCount)", sourceLocation: sourceLocation)
        #expect(
          cut.tieQuotas.count == ChunkLayout(count: scores.count).chunkCount,
          sourceLocation: sourceLocation)
        if let threshold, k < scores.count {
          #expect(
            cut.threshold == ScoreKey.key(threshold), "\(comment) k \(k)",
            sourceLocation: sourceLocation)
          #expect(
            cut.tieQuotas.reduce(0, +) == k - below, "\(comment) k \(k)",
            sourceLocation: sourceLocation)
        }
      }
    }
  }
}

/// The positions LowestKSelection samples to bracket the k-th key (its stratified sample,
/// re-derived here), so that a key set can be built to fool the bracket.
private func samplePositions(count n: Int) -> [Int] {
  let size = LowestKSelection.sampleSize
  var state: UInt64 = 0x5EED_B0A5_A1
  return (0 ..< size).map { stratum in
    let start = stratum * n / size
    let width = (stratum + 1) * n / size - start
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return start + Int((state >> 33) % UInt64(max(width, 1)))
  }
}

@Suite struct SelectionTests {
  // MARK: - Keys

  static let specialFloats: [Float] = [
    -.infinity, -.greatestFiniteMagnitude, -1e20, -1, -.leastNormalMagnitude,
    -.leastNonzeroMagnitude, -0.0, 0, .leastNonzeroMagnitude, .leastNormalMagnitude, 0.1, 1,
    1.000_000_1, 3e38, .greatestFiniteMagnitude, .infinity,
  ]

  @Test func keysOrderExactlyAsTheScores() {
    var generator = SeededGenerator(seed: 100)
    let values = Self.specialFloats + generator.uniformFloats(300, in: -1e6 ... 1e6)
      + generator.uniformFloats(300, in: -1e-3 ... 1e-3)
    var wrong: [(Float, Float)] = []
    for a in values {
      for b in values {
        let keyA = ScoreKey.key(a)
        let keyB = ScoreKey.key(b)
        if (keyA < keyB) != (a < b) || (keyA == keyB) != (a == b) { wrong.append((a, b)) }
      }
    }
    #expect(wrong.isEmpty, "misordered pairs: \(wrong.prefix(5))")
  }

  @Test func keysRoundTripAndFoldNegativeZero() {
    for value in Self.specialFloats where value.bitPattern != (-0.0 as Float).bitPattern {
      #expect(ScoreKey.score(ScoreKey.key(value)).bitPattern == value.bitPattern)
    }
    #expect(ScoreKey.key(-0.0) == ScoreKey.key(0))
    #expect(ScoreKey.score(ScoreKey.key(-0.0)).bitPattern == 0)
    for value in Self.specialFloats {
      #expect(ScoreKey.magnitudeKey(bits: value.bitPattern) == ScoreKey.key(abs(value)))
      #expect(ScoreKey.key(value) < ScoreKey.aboveAll)
    }
  }

  // MARK: - Small inputs: the exact path

  @Test func everyKOfSmallInputs() {
    var generator = SeededGenerator(seed: 101)
    for count in [1, 2, 3, 7, 64, 65, 130] {
      let inputs = [
        generator.uniformFloats(count), generator.tiedFloats(count, distinct: 2),
        [Float](repeating: 4, count: count),
      ]
      for scores in inputs {
        expectCuts(scores, ks: Array(0 ... count), threads: [1], "n \(count)")
      }
    }
  }

  @Test func smallPathBoundary() {
    var generator = SeededGenerator(seed: 102)
    for count in [LowestKSelection.smallCount, LowestKSelection.smallCount + 1] {
      let scores = generator.uniformFloats(count)
      expectCuts(scores, ks: [0, 1, 2, count / 2, count - 1, count], "n \(count)")
    }
  }

  // MARK: - Adversarial key sets

  @Test func allEqual() {
    let scores = [Float](repeating: 0.25, count: 70_000)
    expectCuts(scores, ks: [1, 2, 35_000, 69_999, 70_000], "all equal")
  }

  @Test func twoValues() {
    // 49 % of one value, 51 % of another: the bracket's lo and hi are the two values, and the
    // k-th key is lo itself (k ≤ 49 %) or hi itself (k > 49 %).
    var generator = SeededGenerator(seed: 103)
    let count = 70_000
    let scores = generator.uniformFloats(count, in: 0 ... 1).map { $0 < 0.49 ? Float(2) : 7 }
    let low = scores.filter { $0 == 2 }.count
    expectCuts(
      scores, ks: [1, low - 1, low, low + 1, count / 2, count - 1],
      "two values")
  }

  @Test func fortyPercentZeros() {
    var generator = SeededGenerator(seed: 104)
    let count = 70_000
    let coins = generator.uniformFloats(count, in: 0 ... 1)
    let scores = zip(coins, generator.uniformFloats(count, in: 0 ... 1)).map { $0 < 0.4 ? 0 : $1 }
    let zeros = scores.filter { $0 == 0 }.count
    expectCuts(
      scores, ks: [zeros / 2, zeros, zeros + 1, count / 2, count * 9 / 10],
      "40% zeros")
  }

  @Test func sortedAscendingAndDescending() {
    let count = 70_000
    let ascending = (0 ..< count).map { Float($0) }
    let descending = Array(ascending.reversed())
    let ks = [1, count / 3, count - 2, count - 1]
    expectCuts(ascending, ks: ks, "ascending")
    expectCuts(descending, ks: ks, "descending")
  }

  @Test func hugeCountWithExtremeK() {
    var generator = SeededGenerator(seed: 105)
    let count = 1_000_000
    let scores = generator.uniformFloats(count, in: 0 ... 1)
    expectCuts(scores, ks: [1, count - 1], threads: [2], "huge")
  }

  @Test func sampleThatMissesTheKthKeyFallsBackToRadix() {
    // Every sampled position holds the same low key, every other position a higher distinct
    // one: the sample brackets nothing useful (lo == hi), so the radix selection must answer.
    var generator = SeededGenerator(seed: 106)
    let count = 70_000
    var scores = generator.uniformFloats(count, in: 10 ... 20)
    for position in samplePositions(count: count) { scores[position] = 1 }
    expectCuts(scores, ks: [1, 16_384, 16_385, count / 2, count - 1], "fooled sample")
  }

  @Test func bracketWithTooManyCandidatesFallsBackToRadix() {
    // Sampled positions hold 1 or 3 (half each), all others lie strictly between: the
    // bracket around the median holds nearly every key, over the candidate budget.
    var generator = SeededGenerator(seed: 107)
    let count = 70_000
    var scores = generator.uniformFloats(count, in: 1.5 ... 2.5)
    for (index, position) in samplePositions(count: count).enumerated() {
      scores[position] = index % 2 == 0 ? 1 : 3
    }
    expectCuts(scores, ks: [count / 4, count / 2, count * 3 / 4], "wide bracket")
  }

  @Test func radixWithTiesInTheLowBits() {
    // Keys that share their upper 16 bits (all in [1, 1.0078)) with many exact duplicates,
    // behind a sample that has been fooled into the radix path.
    var generator = SeededGenerator(seed: 108)
    let count = 70_000
    var scores = (0 ..< count).map { _ in
      Float(bitPattern: 0x3F80_0000 | UInt32(truncatingIfNeeded: generator.next() & 4095))
    }
    for position in samplePositions(count: count) { scores[position] = 0.5 }
    expectCuts(scores, ks: [20_000, 35_000, 69_000], "radix low bits")
  }

  @Test func keyOfRankMatchesSorting() {
    var generator = SeededGenerator(seed: 109)
    for count in [1, 2, 1000, 9000] {
      let scores = generator.tiedFloats(count, distinct: 50)
      let sorted = scores.sorted()
      scores.withUnsafeBufferPointer { buffer in
        let keys = ScoreArrayKeys(scores: buffer)
        for rank in Set([0, 1, count / 2, count - 2, count - 1]) where rank >= 0 && rank < count {
          #expect(
            ScoreKey.score(LowestKSelection.key(ofRank: rank, in: keys)) == sorted[rank],
            "n \(count) rank \(rank)")
        }
      }
    }
  }

  @Test func rawKeyArraysIncludingExtremeKeys() {
    // Integer keys straight into the selection, with the extreme values 1 and 2³² − 2 and a
    // repeated key spread over several chunks.
    var generator = SeededGenerator(seed: 110)
    let count = 70_000
    var keys = (0 ..< count).map { _ in
      max(1, min(UInt32.max - 1, UInt32(truncatingIfNeeded: generator.next())))
    }
    for index in stride(from: 0, to: count, by: 3) { keys[index] = 0x8000_0000 }
    keys[17] = 1
    keys[count - 5] = UInt32.max - 1
    let sorted = keys.sorted()
    keys.withUnsafeBufferPointer { buffer in
      let source = KeyArrayKeys(keys: buffer)
      for k in [1, 2, count / 3, count / 3 + 1, count / 2, count - 1] {
        let cut = LowestKSelection.cut(source, pruning: k, threads: 2)
        #expect(cut.threshold == sorted[k - 1])
        let mask = cut.mask(of: source, threads: 2)
        #expect(mask.prunedCount == k)
        // Every pruned key ≤ every kept key, and among equal keys the pruned come first.
        let threshold = sorted[k - 1]
        var seenKeptAtThreshold = false
        var ordered = true
        for index in 0 ..< count {
          if keys[index] < threshold { ordered = ordered && !mask[index] }
          if keys[index] > threshold { ordered = ordered && mask[index] }
          if keys[index] == threshold {
            if mask[index] {
              seenKeptAtThreshold = true
            } else if seenKeptAtThreshold {
              ordered = false
            }
          }
        }
        #expect(ordered, "k \(k)")
      }
    }
  }

  // MARK: - The cut itself

  @Test func cutSpreadsTiesOverChunksInOrder() {
    let cut = SelectionCut(threshold: 5, ties: 7, equalCounts: [3, 0, 2, 4, 1], nonFiniteKeys: 0)
    #expect(cut.tieQuotas == [3, 0, 2, 2, 0])
    #expect(cut.threshold == 5)
    let none = SelectionCut.none(ChunkLayout(count: 200_000))
    #expect(none.tieQuotas == [0, 0, 0, 0])
    #expect(SelectionCut.all(ChunkLayout(count: 10)).threshold == ScoreKey.aboveAll)
  }

  @Test func chunkLayoutCoversEveryUnitOnce() {
    for count in [0, 1, 65_535, 65_536, 65_537, 300_000] {
      let layout = ChunkLayout(count: count)
      let ranges = (0 ..< layout.chunkCount).map(layout.units(ofChunk:))
      #expect(ranges.map(\.count).reduce(0, +) == count)
      #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
      #expect(ranges.allSatisfy { $0.lowerBound % 64 == 0 })
    }
    #expect(ChunkLayout.chunkSize % 64 == 0)
  }
}

/// The quickselect behind per-row and mid-sized groups, on the inputs that trouble
/// quickselects (ties, sorted, reversed, organ pipe), with and without its first narrowing
/// step (5000 keys take it), and its sorting fallback forced on.
@Suite struct GroupQuickselectTests {
  @Test(arguments: [nil, 1, 2] as [Int?], [257, 5000])
  func selectsTheKeyOfEachRank(rounds: Int?, count: Int) {
    var generator = SeededGenerator(seed: 71)
    let inputs: [[UInt32]] = [
      (0 ..< count).map { _ in UInt32.random(in: 0 ... .max, using: &generator) },
      (0 ..< count).map { _ in UInt32.random(in: 0 ... 3, using: &generator) },
      Array(repeating: 9, count: count),
      (0 ..< count).map(UInt32.init),
      (0 ..< count).reversed().map(UInt32.init),
      (0 ..< count).map { UInt32(min($0, count - $0)) },
    ]
    for keys in inputs {
      let sorted = keys.sorted()
      for rank in [0, 1, count / 3, count / 2, count - 2, count - 1] {
        var copy = keys
        var scratch = [UInt32](repeating: 0, count: count)
        let key = copy.withUnsafeMutableBufferPointer { copy in
          scratch.withUnsafeMutableBufferPointer { scratch in
            GroupedSelection.select(copy, rank: rank, scratch: scratch, rounds: rounds)
          }
        }
        #expect(key == sorted[rank], "rank \(rank) of \(keys.prefix(4))…")
      }
    }
  }
}
