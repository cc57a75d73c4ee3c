// PruningMask: one bit per element, packed into 64-bit words.

import Testing
import TestSupport
@testable import Pruning

@Suite struct PruningMaskTests {
  @Test(arguments: [0, 1, 2, 63, 64, 65, 127, 128, 129, 1000, 45_000])
  func oneBitPerElement(count: Int) throws {
    #expect(try PruningMask(count: count, allKept: true).words.count == (count + 63) / 64)
    #expect(try PruningMask(count: count, allKept: false).words.count == (count + 63) / 64)
    let fromBooleans = PruningMask(kept: Array(repeating: true, count: count))
    #expect(fromBooleans.words.count == (count + 63) / 64)
  }

  @Test func aMaskOfAPrunedTensorIsBits() throws {
    var generator = SeededGenerator(seed: 40)
    var t = try tensor(generator.uniformFloats(10_000), shape: [100, 100])
    for granularity in PruningGranularity.all {
      let mask = try pruner(sparsity: 0.5, granularity: granularity).prune(&t)
      #expect(mask.count == 10_000)
      #expect(mask.words.count == 157)
    }
  }

  @Test(arguments: [0, 1, 5, 63, 64, 65, 200])
  func allKeptAndAllPruned(count: Int) throws {
    let kept = try PruningMask(count: count, allKept: true)
    #expect(kept.count == count)
    #expect(kept.keptCount == count)
    #expect(kept.prunedCount == 0)
    #expect(kept.density == 1)
    #expect((0 ..< count).allSatisfy { kept[$0] })
    #expect(kept.floatValues == Array(repeating: 1, count: count))
    // Bits past the end are zero, so equal masks compare equal.
    #expect(kept == PruningMask(kept: Array(repeating: true, count: count)))
    if count % 64 != 0 { #expect(kept.words.last! >> UInt64(count % 64) == 0) }

    let pruned = try PruningMask(count: count, allKept: false)
    #expect(pruned.keptCount == 0)
    #expect(pruned.prunedCount == count)
    #expect(pruned.density == (count == 0 ? 1 : 0))
    #expect(pruned.floatValues == Array(repeating: 0, count: count))
    #expect(pruned.words.allSatisfy { $0 == 0 })
  }

  @Test func fromBooleans() {
    var generator = SeededGenerator(seed: 41)
    let kept = (0 ..< 300).map { _ in Bool.random(using: &generator) }
    let mask = PruningMask(kept: kept)
    #expect(mask.count == 300)
    #expect(keptFlags(mask) == kept)
    #expect(mask.keptCount == kept.filter { $0 }.count)
    #expect(mask.prunedCount == kept.filter { !$0 }.count)
    #expect(mask.density == Double(kept.filter { $0 }.count) / 300)
    #expect(mask.floatValues == kept.map { $0 ? 1 : 0 })
    // Element i is bit i % 64 of word i / 64.
    for index in kept.indices {
      #expect((mask.words[index / 64] >> UInt64(index % 64) & 1 == 1) == kept[index])
    }
  }

  @Test func specificBitsAndDensity() {
    let mask = PruningMask(kept: [true, false, false, true])
    #expect(mask.words == [0b1001])
    #expect(mask[0] && !mask[1] && !mask[2] && mask[3])
    #expect(mask.density == 0.5)
    #expect(PruningMask(kept: []).density == 1)
    #expect(PruningMask(kept: [false, false, true]).density == 1.0 / 3.0)
  }

  @Test func internalWordsInitClearsTheTail() {
    let mask = PruningMask(count: 3, words: [.max])
    #expect(mask.words == [0b111])
    #expect(mask.keptCount == 3)
  }

  @Test func applyZeroesThePrunedAndKeepsTheRestBitForBit() throws {
    let values: [Float] = [-1.5, 2, -0.0, 0x1p-131, .nan, -7, 8, -9, 10]
    var t = try tensor(values, shape: [3, 3])
    let mask = PruningMask(kept: [false, true, true, true, true, false, true, false, true])
    try mask.apply(to: &t)
    let expected: [Float] = [0, 2, -0.0, 0x1p-131, .nan, 0, 8, 0, 10]
    #expect(t.values.map(\.bitPattern) == expected.map(\.bitPattern))
    #expect(t.values[0].sign == .plus)
  }

  @Test func applyingTheMaskOfAPruningReproducesIt() throws {
    var generator = SeededGenerator(seed: 42)
    let original = try tensor(generator.uniformFloats(5000), shape: [50, 100])
    for granularity in PruningGranularity.all {
      var pruned = original
      let mask = try pruner(sparsity: 0.7, granularity: granularity).prune(&pruned)
      var applied = original
      try mask.apply(to: &applied)
      #expect(applied == pruned)
      #expect(pruned.values.indices.allSatisfy { (pruned.values[$0] == 0) == !mask[$0] })
    }
  }

  @Test func setKeptSpansWords() throws {
    var mask = try PruningMask(count: 200, allKept: false)
    mask.setKept(60 ..< 130)
    mask.setKept(192 ..< 200)
    mask.setKept(5 ..< 5)
    #expect(keptFlags(mask) == (0 ..< 200).map { (60 ..< 130).contains($0) || $0 >= 192 })
    #expect(mask.keptCount == 78)
  }

  @Test func hashableOnContent() throws {
    let a = PruningMask(kept: [true, false, true])
    let b = PruningMask(kept: [true, false, true])
    let c = PruningMask(kept: [true, true, true])
    #expect(a == b)
    #expect(a.hashValue == b.hashValue)
    #expect(a != c)
    #expect(try PruningMask(count: 3, allKept: false) != PruningMask(count: 4, allKept: false))
  }
}
