// Programmer errors stop the process (`precondition`), rather than throw: each is run in a
// child process that must exit with a failure.

import Testing
@testable import Pruning

@Suite struct PreconditionTests {
  @Test func maskIndexOutOfRange() async {
    await #expect(processExitsWith: .failure) {
      _ = PruningMask(count: 3, allKept: true)[3]
    }
  }

  @Test func maskAppliedToATensorOfAnotherSize() async {
    await #expect(processExitsWith: .failure) {
      var t = try! WeightTensor(name: "t", shape: [4], values: [1, 2, 3, 4])
      PruningMask(count: 3, allKept: false).apply(to: &t)
    }
  }

  @Test func negativeTopK() async {
    await #expect(processExitsWith: .failure) {
      let scores = try! WeightTensor(name: "t", shape: [2], values: [1, 2])
        .importanceScores(metric: .l1Magnitude)
      _ = scores.topK(-1)
    }
  }

  @Test func selectingMoreThanThereAre() async {
    await #expect(processExitsWith: .failure) {
      let scores: [Float] = [1, 2, 3]
      scores.withUnsafeBufferPointer { buffer in
        _ = LowestKSelection.cut(ScoreArrayKeys(scores: buffer), pruning: 4, threads: 1)
      }
    }
  }
}
