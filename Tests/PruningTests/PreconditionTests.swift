// Programmer errors stop the process (`precondition`), rather than throw: each is run in a
// child process that must exit with a failure. Only an index out of range (as for an Array)
// and internal misuse remain: values a caller passes to an entry point throw instead
// (`CallerValueTests`).

import Testing
@testable import Pruning

@Suite struct PreconditionTests {
  @Test func maskIndexOutOfRange() async {
    await #expect(processExitsWith: .failure) {
      _ = PruningMask(kept: [true, true, true])[3]
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
