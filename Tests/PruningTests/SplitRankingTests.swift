// A global ranking split over machines: each group of tensors counts its keys, the counts are
// merged into one cut, and each group prunes its tensors by it — checked against
// `Pruner.globalCut(_:)` over all the tensors at once, mask for mask, on tensors above one
// chunk with heavy ties spread over several tensors, with random scores (whose stream
// depends on each tensor's place in the ranking) and with zeros of an earlier round.

import Testing
import TestSupport
@testable import Pruning

@Suite struct SplitRankingTests {
  /// Tensor sizes: above one chunk (1 << 16), above the sampled selection's threshold, small.
  private static let counts = [70_000, 40_000, 84, 33 * 64, 9]
  /// How the tensors are split over three "machines" (out of ranking order).
  private static let groups = [[0, 3], [2], [4, 1]]

  @Test(arguments: [
    (ImportanceMetric.l1Magnitude, nil), (.l2Magnitude, nil), (.random(seed: 9), nil),
    (.l1Magnitude, IterativeMode.total),
  ] as [(ImportanceMetric, IterativeMode?)], [0.0, 0.3, 0.77])
  func splitCutPrunesWhatOneRankingPrunes(
    setting: (metric: ImportanceMetric, iterative: IterativeMode?), sparsity: Double
  ) throws {
    var generator = SeededGenerator(seed: 1_400)
    let values = Self.counts.map { count in
      fastTiedFloats(&generator, count, distinct: 6).enumerated().map { index, value in
        setting.iterative != nil && index % 5 == 0 ? 0 : value
      }
    }
    let pruner = Pruner(
      try PruningConfig(
        sparsity: sparsity, metric: setting.metric, scope: .global, iterative: setting.iterative),
      threadCount: 2)
    let firstUnits = Self.counts.indices.map { Self.counts[..<$0].reduce(0, +) }
    let names = Self.counts.indices.map { "t\($0)" }
    let expected = try withRanked(values, Array(values.indices)) { tensors in
      let cut = try pruner.globalCut(tensors)
      return try values.indices.map { try masks(pruner, values[$0], name: names[$0], cut) }
    }

    let group = { (members: [Int], body: ([RankedTensor], [Int]) throws -> KeyHistogram) in
      try withRanked(values, members) { try body($0, members.map { firstUnits[$0] }) }
    }
    var coarse = KeyHistogram.empty(highBin: nil)
    for members in Self.groups {
      let counts = try group(members) { try pruner.keyHistogram($0, firstUnits: $1, highBin: nil) }
      let merged = coarse.merge(counts)
      #expect(merged)
    }
    let total = Self.counts.reduce(0, +)
    var step = try pruner.splitRankingStep(names: names, totalCount: total, coarse: coarse, fine: nil)
    if case .refine(let bin) = step {
      var fine = KeyHistogram.empty(highBin: bin)
      for members in Self.groups {
        let counts = try group(members) { try pruner.keyHistogram($0, firstUnits: $1, highBin: bin) }
        let merged = fine.merge(counts)
        #expect(merged)
      }
      step = try pruner.splitRankingStep(names: names, totalCount: total, coarse: coarse, fine: fine)
    }
    guard case .cut(let split) = step else {
      Issue.record("no cut after refining")
      return
    }
    if setting.metric == .l1Magnitude && setting.iterative == nil && sparsity == 0.77 {
      // The ties to break lie in several tensors: the name order between them matters.
      #expect(split.tieQuotas.count >= 2)
    }
    for members in Self.groups {
      try withRanked(values, members) { tensors in
        let cut = try pruner.globalCut(tensors, firstUnits: members.map { firstUnits[$0] }, following: split)
        for index in members {
          #expect(try masks(pruner, values[index], name: names[index], cut) == expected[index], "t\(index)")
        }
      }
    }
  }

  /// Counts of other tensors add up; the same tensor twice, or another bin, does not merge.
  @Test func mergeAddsCountsAndRefusesOverlaps() {
    let a = KeyHistogram(highBin: nil, tensors: ["a"], bins: [[1, 2]], binsByTensor: [:], zeroKeys: 0)
    let b = KeyHistogram(highBin: nil, tensors: ["b"], bins: [[1, 3], [4, 1]], binsByTensor: [:], zeroKeys: 2)
    var merged = a
    let again = merged.merge(a)
    let otherBin = merged.merge(KeyHistogram.empty(highBin: 3))
    #expect(!again && !otherBin && merged == a)
    let other = merged.merge(b)
    #expect(other)
    #expect(merged.bins == [[1, 5], [4, 1]] && merged.tensors == ["a", "b"] && merged.zeroKeys == 2)
  }

  /// The kept flags of `values` pruned by `cut`.
  private func masks(_ pruner: Pruner, _ values: [Float], name: String, _ cut: GlobalCut) throws -> [Bool] {
    var copy = values
    var span = copy.mutableSpan
    return keptFlags(try pruner.prune(&span, shape: [values.count], name: name, following: cut))
  }

  /// Calls `body` with the tensors `members` of `values` as ranked tensors named t0, t1, ….
  /// The cut that prunes a machine's tensors checks their score input as the counting step
  /// does, before any pass reads it: Wanda norms of the wrong length are an error naming the
  /// tensor, not a read past their end while counting ties.
  @Test func splitCutChecksScoreInput() throws {
    let pruner = Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda, scope: .global))
    let weights: [Float] = (0 ..< 16).map { Float($0 % 3) }
    let split = SplitCut(
      threshold: ScoreKey.key(1), tieQuotas: ["w": 1], prunedCount: 8, totalCount: 16)
    try weights.withUnsafeBytes { bytes in
      let tensor = try RankedTensor(
        name: "w", shape: [2, 8], bytes: bytes, as: Float.self, input: .inputNorms([1, 2, 3]))
      #expect {
        _ = try pruner.globalCut([tensor], firstUnits: [0], following: split)
      } throws: { error in
        "\(error)".contains("\"w\"")
      }
    }
  }

  private func withRanked<R>(
    _ values: [[Float]], _ members: [Int], _ body: ([RankedTensor]) throws -> R
  ) throws -> R {
    var ranked = [RankedTensor]()
    func collect(_ position: Int) throws -> R {
      guard position < members.count else { return try body(ranked) }
      let index = members[position]
      return try values[index].withUnsafeBytes { bytes in
        ranked.append(
          try RankedTensor(name: "t\(index)", shape: [values[index].count], bytes: bytes, as: Float.self))
        return try collect(position + 1)
      }
    }
    return try collect(0)
  }
}
