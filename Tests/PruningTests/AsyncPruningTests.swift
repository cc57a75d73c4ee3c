// The async entry points: the bits of the synchronous calls, progress from 0 to 1, and a
// cancelled call that throws CancellationError with the caller's weights untouched.

import Testing
import TestSupport
@testable import Pruning

@Suite struct AsyncPruningTests {
  static func model(seed: UInt64) throws -> [WeightTensor] {
    var generator = SeededGenerator(seed: seed)
    return try (0 ..< 6).map { index in
      try WeightTensor(
        name: "layer\(index)", shape: [32, 48 + index],
        values: generator.uniformFloats(32 * (48 + index)))
    }
  }

  @Test(arguments: [PruningScope.tensor, .global])
  func asyncCallsGiveTheSynchronousBitsAndReportProgress(scope: PruningScope) async throws {
    let pruner = Pruner(try PruningConfig(sparsity: 0.6, scope: scope), threadCount: 2)
    var expected = try Self.model(seed: 140)
    let expectedMasks = try pruner.prune(&expected)
    var model = try Self.model(seed: 140)
    var fractions = [Double]()
    let masks = try await pruner.prune(&model) { fractions.append($0) }
    #expect(model == expected && masks == expectedMasks)
    #expect(fractions.first == 0 && fractions.last == 1 && fractions == fractions.sorted())
    // Tensor scope: before each tensor's mask, then 1; global: before and after the ranking,
    // then 1 once every tensor has its share.
    #expect(fractions.count == (scope == .global ? 3 : model.count + 1))
  }

  /// Runs `body` in a task of its own, whose progress callback may cancel it (and not the
  /// test); what `body` left in `value`, and whether it threw `CancellationError`.
  static func inOwnTask<Value: Sendable>(
    _ value: Value, _ body: @escaping @Sendable (inout Value) async throws -> Void
  ) async -> (value: Value, cancelled: Bool) {
    await Task {
      var value = value
      do {
        try await body(&value)
        return (value, false)
      } catch {
        return (value, error is CancellationError)
      }
    }.value
  }

  /// Cancelled at the `reports`-th progress report, before the weights are changed; the
  /// last report (tensor scope: the 7th, global: the 3rd) comes with 1 once every mask is
  /// decided, and is honoured too.
  @Test(arguments: [
    (PruningScope.tensor, 1), (.tensor, 3), (.tensor, 5), (.tensor, 7), (.global, 1),
    (.global, 2), (.global, 3),
  ])
  func cancelledModelCallsLeaveEveryTensorUntouched(scope: PruningScope, reports: Int) async throws
  {
    let pruner = Pruner(try PruningConfig(sparsity: 0.5, scope: scope), threadCount: 2)
    let original = try Self.model(seed: 141)
    let (model, cancelled) = await Self.inOwnTask(original) { model in
      var seen = 0
      try await pruner.prune(&model) { _ in
        seen += 1
        if seen == reports { withUnsafeCurrentTask { $0?.cancel() } }
      }
    }
    #expect(cancelled && model == original)
  }

  @Test func aTensorIsPrunedCompletelyOrNotAtAll() async throws {
    var generator = SeededGenerator(seed: 142)
    let original = try WeightTensor(
      name: "w", shape: [64, 64], values: generator.uniformFloats(4096))
    let pruner = Pruner(try PruningConfig(sparsity: 0.5, granularity: .rows))
    let (untouched, cancelled) = await Self.inOwnTask(original) { tensor in
      try await pruner.prune(&tensor) { _ in withUnsafeCurrentTask { $0?.cancel() } }
    }
    #expect(cancelled && untouched == original)
    // Cancelled once the mask is decided, before it is applied: still untouched.
    let (decided, cancelledLate) = await Self.inOwnTask(original) { tensor in
      try await pruner.prune(&tensor) { fraction in
        if fraction == 1 { withUnsafeCurrentTask { $0?.cancel() } }
      }
    }
    #expect(cancelledLate && decided == original)
    let (pruned, stopped) = await Self.inOwnTask(original) { tensor in
      var fractions = [Double]()
      try await pruner.prune(&tensor) { fractions.append($0) }
      #expect(fractions == [0, 1])
    }
    let expected = try pruner.pruned(original).tensor
    #expect(!stopped && pruned == expected)
  }
}
