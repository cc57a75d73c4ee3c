// The brute-force reference in TestSupport is what every other test trusts, so it is tested
// too: on hand-worked examples, and its two routes to the decision against each other.

import Testing
import TestSupport

@Suite struct ReferenceTests {
  @Test func handWorkedDecisions() {
    // Scores 3, 1, 2, 1, 0: order by (score, index) is 4, 1, 3, 2, 0.
    let scores: [Float] = [3, 1, 2, 1, 0]
    #expect(ReferencePruning.pruningOrder(scores) == [4, 1, 3, 2, 0])
    #expect(ReferencePruning.prunedBySorting(scores, k: 2) == [false, true, false, false, true])
    #expect(ReferencePruning.pruned(scores, k: 2) == [false, true, false, false, true])
    #expect(ReferencePruning.prunedBySorting(scores, k: 0) == [false, false, false, false, false])
    #expect(ReferencePruning.pruned(scores, k: 5) == [true, true, true, true, true])
    #expect(ReferencePruning.pruned([0, -0.0, 0], k: 2) == [true, true, false])
    #expect(ReferencePruning.pruningOrder([-0.0, 0, -0.0]) == [0, 1, 2])
    #expect(ReferencePruning.kthLowest(scores, k: 3) == 1)
    #expect(ReferencePruning.kthLowest(scores, k: 4) == 2)
  }

  @Test func bothRoutesAgree() {
    var generator = SeededGenerator(seed: 120)
    for count in [1, 2, 5, 50, 500] {
      for distinct in [1, 2, 3, 100] {
        let scores = generator.tiedFloats(count, distinct: distinct)
        for k in Set([0, 1, count / 3, count / 2, count - 1, count]) {
          #expect(
            ReferencePruning.pruned(scores, k: k) == ReferencePruning.prunedBySorting(scores, k: k))
        }
        #expect(ReferencePruning.sortedScores(scores) == scores.sorted())
      }
    }
  }

  @Test func prunedUnitCountExamples() {
    let k = ReferencePruning.prunedUnitCount
    #expect(k(0.3, 10, 1, 1) == 3)
    #expect(k(0.99, 10, 1, 1) == 9)
    #expect(k(0.99, 10, 4, 5) == 8)
    #expect(k(0.5, 10, 4, 40) == 0)
  }

  @Test func lcgAndNorms() {
    #expect(ReferencePruning.lcgStep(0) == 1_442_695_040_888_963_407)
    #expect(ReferencePruning.randomElementScores(seed: 0, count: 2) == [
      ReferencePruning.lcgScore(1_442_695_040_888_963_407),
      ReferencePruning.lcgScore(ReferencePruning.lcgStep(1_442_695_040_888_963_407)),
    ])
    #expect(ReferencePruning.randomUnitScores(seed: 9, units: 2) == [
      ReferencePruning.lcgScore(ReferencePruning.lcgStep(9)),
      ReferencePruning.lcgScore(ReferencePruning.lcgStep(10)),
    ])
    let m: [Float] = [3, -4, 0, 5]  // [[3, -4], [0, 5]]
    #expect(ReferencePruning.rowNorms(m, rows: 2, columns: 2, metric: .l2) == [5, 5])
    #expect(ReferencePruning.rowNorms(m, rows: 2, columns: 2, metric: .l1) == [7, 5])
    #expect(ReferencePruning.columnNorms(m, rows: 2, columns: 2, metric: .l1) == [3, 9])
    #expect(
      ReferencePruning.columnNorms(m, rows: 2, columns: 2, metric: .l2) == [3, 41.0.squareRoot()])
    #expect(
      ReferencePruning.elementKept(
        unitPruned: [true, false], granularity: .columns, rows: 2, columns: 2)
        == [false, true, false, true])
  }

  @Test func uniformFloatsAreSeededAndInRange() {
    var a = SeededGenerator(seed: 121)
    var b = SeededGenerator(seed: 121)
    let x = a.uniformFloats(10_000, in: -2 ... 3)
    #expect(x == b.uniformFloats(10_000, in: -2 ... 3))
    #expect(x.allSatisfy { $0 >= -2 && $0 <= 3 })
    #expect(Set(x).count > 9_900)
    #expect(x.min()! < -1.99 && x.max()! > 2.99)
  }
}
