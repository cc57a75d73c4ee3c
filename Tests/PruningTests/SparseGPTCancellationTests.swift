// SparseGPT as a long call: the checkpointed, async and Float16/BFloat16 entries give the
// synchronous Float bits (rounded once for the 16-bit types), progress climbs from 0 to 1,
// and a call cancelled at any checkpoint, or from another thread mid-sweep, returns soon with
// the caller's weights untouched.

import Dispatch
import Glibc
import Synchronization
import Testing
import TestSupport
@testable import Pruning

@Suite(.serialized) struct SparseGPTCancellationTests {
  /// A random layer [rows, n] and a positive definite Hessian for it (diagonal plus a rank-8
  /// part: cheap to form at any n). Rows beyond the first 64 repeat them, scaled, so that a
  /// large layer is quick to make.
  static func layer(rows: Int, n: Int, seed: UInt64) throws -> (WeightTensor, [Double]) {
    var random = SeededGenerator(seed: seed)
    let base = random.floats(min(rows, 64) * n)
    let values = (0 ..< rows * n).map { base[$0 % base.count] * Float(1 + $0 / base.count) }
    let tensor = try WeightTensor(name: "w", shape: [rows, n], values: values)
    let x = random.floats(8 * n)
    var h = try CalibrationHessian.hessian(ofActivations: x.span, shape: [8, n], name: "w")
    for (i, extra) in random.floats(n, in: 1 ... 2).enumerated() { h[i * n + i] += Double(extra) }
    return (tensor, h)
  }

  static let config = try! SparseGPTConfig(sparsity: 0.5, blockSize: 32)

  @Test func checkpointedAndAsyncCallsGiveTheSynchronousBitsAndClimbToOne() async throws {
    let (original, h) = try Self.layer(rows: 600, n: 96, seed: 300)
    let sparseGPT = SparseGPT(Self.config, threadCount: 2)
    let factor = try sparseGPT.factor(hessian: h.span, size: 96, name: "w")
    var expected = original
    let expectedMask = try sparseGPT.prune(&expected, factor: factor)
    var tensor = original
    var fractions = [Double]()
    let mask = try await sparseGPT.prune(&tensor, factor: factor) { fractions.append($0) }
    #expect(tensor == expected && mask == expectedMask)
    // 0 first, then after each of 3 rounds of 2 bands of 256 rows in each of 3 blocks.
    #expect(fractions.first == 0 && fractions.last == 1 && fractions == fractions.sorted())
    #expect(fractions.count == 1 + 3 * 2)
  }

  /// Cancelled at the `reports`-th progress report (the last is the one with 1).
  @Test(arguments: [1, 2, 4, 7])
  func aCallCancelledAtAnyCheckpointLeavesTheWeightsUntouched(reports: Int) async throws {
    let (original, h) = try Self.layer(rows: 600, n: 96, seed: 301)
    let sparseGPT = SparseGPT(Self.config, threadCount: 2)
    let factor = try sparseGPT.factor(hessian: h.span, size: 96, name: "w")
    let (tensor, cancelled) = await AsyncPruningTests.inOwnTask(original) { tensor in
      var seen = 0
      try await sparseGPT.prune(&tensor, factor: factor) { _ in
        seen += 1
        if seen == reports { withUnsafeCurrentTask { $0?.cancel() } }
      }
    }
    #expect(cancelled && tensor == original)
  }

  @Test func aCheckpointThatStopsGetsNilAndIsNotAskedAgain() throws {
    let (original, h) = try Self.layer(rows: 300, n: 64, seed: 302)
    let sparseGPT = SparseGPT(Self.config, threadCount: 2)
    let factor = try sparseGPT.factor(hessian: h.span, size: 64, name: "w")
    var values = original.values
    var asked = 0
    var span = values.mutableSpan
    let mask = try sparseGPT.prune(&span, shape: [300, 64], name: "w", factor: factor) { _ in
      asked += 1
      return asked < 3
    }
    #expect(mask == nil && asked == 3 && values == original.values)
  }

  /// Float16 and BFloat16 weights: widened, pruned in Float, rounded once — the bits of the
  /// Float call on the widened weights, each rounded to the nearest of the type.
  @Test func sixteenBitWeightsAreTheFloatResultRoundedOnce() throws {
    let (tensor, h) = try Self.layer(rows: 40, n: 64, seed: 303)
    let sparseGPT = SparseGPT(Self.config, threadCount: 2)
    let factor = try sparseGPT.factor(hessian: h.span, size: 64, name: "w")
    func check<Scalar: UpdatableScalar & Equatable>(_ weights: [Scalar]) throws {
      var widened = try WeightTensor(name: "w", shape: [40, 64], values: weights.map(\.widened))
      let expectedMask = try sparseGPT.prune(&widened, factor: factor)
      let expected = widened.values.map(Scalar.init)
      var values = weights
      var span = values.mutableSpan
      let mask = try sparseGPT.prune(&span, shape: [40, 64], name: "w", factor: factor) { _ in
        true
      }
      #expect(mask == expectedMask && values == expected)
      #expect(values != weights)
      let pruned = try #require(
        sparseGPT.pruned(weights.span, shape: [40, 64], name: "w", factor: factor) { _ in true })
      #expect(pruned.weights == expected && pruned.mask == expectedMask)
    }
    try check(tensor.values.map(Float16.init))
    try check(tensor.values.map(BFloat16.init))
    try check(tensor.values)
  }

  /// A layer that takes seconds, cancelled from another thread once the sweep has begun:
  /// the call returns within a second (loosely timed: a checkpoint comes every few tens of
  /// milliseconds), mid-sweep, with the weights untouched. The canceller is a Dispatch
  /// thread, not a task: with other suites running, the cooperative pool may have no thread
  /// to spare for a polling task until the sweep is over.
  @Test func cancellingFromAnotherThreadReturnsSoonWithTheWeightsUntouched() async throws {
    let (rows, n) = (2048, 1024)
    let (original, h) = try Self.layer(rows: rows, n: n, seed: 304)
    let sparseGPT = SparseGPT(try SparseGPTConfig(sparsity: 0.5), threadCount: 2)
    let factor = try sparseGPT.factor(hessian: h.span, size: n, name: "w")
    let clock = ContinuousClock()
    let lastFraction = Atomic<UInt64>(0)
    let times = Mutex<(cancelled: ContinuousClock.Instant?, returned: ContinuousClock.Instant?)>(
      (nil, nil))
    let task = Task { () -> (WeightTensor, Bool) in
      var tensor = original
      do {
        try await sparseGPT.prune(&tensor, factor: factor) { fraction in
          lastFraction.store(fraction.bitPattern, ordering: .relaxed)
        }
        return (tensor, false)
      } catch {
        times.withLock { $0.returned = clock.now }
        return (tensor, error is CancellationError)
      }
    }
    DispatchQueue.global().async {
      while Double(bitPattern: lastFraction.load(ordering: .relaxed)) == 0 { usleep(1000) }
      times.withLock { $0.cancelled = clock.now }
      task.cancel()
    }
    let (tensor, stopped) = await task.value
    let fraction = Double(bitPattern: lastFraction.load(ordering: .relaxed))
    #expect(stopped && tensor == original)
    #expect(fraction < 0.5, "the sweep was \(fraction) done when it stopped: too small a layer")
    let (cancelled, returned) = times.withLock { ($0.cancelled, $0.returned) }
    if let cancelled, let returned {
      #expect(returned - cancelled < .seconds(1), "returned \(returned - cancelled) after cancel()")
    }
  }
}
