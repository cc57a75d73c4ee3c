// The gradual schedule of Zhu & Gupta: s_t = s_f + (s_i − s_f) · (1 − p)³ with
// p = clamp((t − t0) / (t1 − t0), 0, 1); `initial` up to the start, `final` from the end.
// Checked against `ReferenceMethods.gradualSparsity` bit for bit.

import Testing
import TestSupport
@testable import Pruning

/// A schedule's arguments.
struct ScheduleCase: Sendable, CustomTestStringConvertible {
  let initial: Double
  let final: Double
  let start: Int
  let end: Int

  var testDescription: String { "\(initial) → \(final) over \(start) ... \(end)" }
}

private let scheduleCases: [ScheduleCase] = [
  .init(initial: 0, final: 0.9, start: 0, end: 100),
  .init(initial: 0.1, final: 0.8, start: 250, end: 1_250),
  .init(initial: 0.05, final: 0.95, start: 3, end: 10),
  .init(initial: 0.5, final: 0.2, start: -20, end: 17),  // decreasing
  .init(initial: 0.3, final: 0.3, start: 0, end: 9),  // constant
  .init(initial: 0, final: 0.75, start: 40, end: 40),  // a single step
  .init(initial: 0, final: 0.999_9, start: 0, end: 1_000_000),
]

@Suite struct GradualScheduleTests {
  /// At every step after the start the sparsity equals the reference's formula exactly
  /// ((1 − p)³ computed first, as TensorFlow's PolynomialDecay does); up to the start it is
  /// exactly `initial`, which the formula s_f + (s_i − s_f) gives only to within an ulp.
  @Test(arguments: scheduleCases)
  func sparsityFollowsTheReference(_ c: ScheduleCase) throws {
    let schedule = try GradualSchedule(
      initial: c.initial, final: c.final, startStep: c.start, endStep: c.end)
    let span = c.end - c.start
    var steps = Array(c.start - 5 ... c.start + 5) + Array(c.end - 5 ... c.end + 5)
    steps += (0 ... 200).map { c.start + span * $0 / 200 }
    steps += [Int.min / 2, c.start - 1_000_000, c.end + 1_000_000, Int.max / 2]
    for step in steps {
      let expected = ReferenceMethods.gradualSparsity(
        step: Double(step), initial: c.initial, final: c.final, start: Double(c.start),
        end: Double(c.end))
      let sparsity = schedule.sparsity(atStep: step)
      if step > c.start || (c.start == c.end && step >= c.end) {
        #expect(sparsity == expected, "step \(step)")
      } else {
        #expect(sparsity == c.initial, "step \(step)")
        #expect(close(sparsity, expected, relative: 1e-15), "step \(step)")
      }
    }
    for step in [c.end, c.end + 1, c.end + 100] {
      #expect(schedule.sparsity(atStep: step) == c.final)
    }
  }

  /// A schedule starting at 0.1 prunes exactly 10 of 100 weights up to its start (the bare
  /// formula gives 0.09999999999999998 there, which would prune 9).
  @Test func initialSparsityIsExactBeforeTheStart() throws {
    let schedule = try GradualSchedule(initial: 0.1, final: 0.85, startStep: 10, endStep: 20)
    for step in [-5, 0, 10] {
      #expect(schedule.sparsity(atStep: step) == 0.1)
      var t = try tensor((1 ... 100).map { Float($0) })
      let config = try PruningConfig(
        sparsity: schedule.sparsity(atStep: step), iterative: .total)
      #expect(try Pruner(config).prune(&t).prunedCount == 10)
    }
  }

  /// A rising schedule never falls from one step to the next, and stays within
  /// [initial, final].
  @Test func risingScheduleIsMonotone() throws {
    let schedule = try GradualSchedule(initial: 0.1, final: 0.85, startStep: 10, endStep: 510)
    var previous = -Double.infinity
    for step in 0 ... 600 {
      let sparsity = schedule.sparsity(atStep: step)
      #expect(sparsity >= previous, "step \(step)")
      #expect(sparsity >= 0.1 && sparsity <= 0.85)
      previous = sparsity
    }
    // The cubic ramp: halfway through, 1/8 of the distance is still to go.
    #expect(schedule.sparsity(atStep: 260) == 0.85 + (0.1 - 0.85) * 0.125)
  }

  /// Following the schedule with `iterative: .total` prunes floor(s_t × n) at each step and
  /// never restores a pruned weight.
  @Test func pruningAlongTheSchedule() throws {
    let schedule = try GradualSchedule(final: 0.8, startStep: 0, endStep: 10)
    var generator = SeededGenerator(seed: 8_500)
    var t = try tensor(generator.uniformFloats(1_000, in: 0.1 ... 1), shape: [40, 25])
    var previous = try PruningMask(count: 1_000, allKept: true)
    for step in 0 ... 12 {
      let sparsity = schedule.sparsity(atStep: step)
      let config = try PruningConfig(sparsity: sparsity, iterative: .total)
      let mask = try Pruner(config).prune(&t)
      #expect(mask.prunedCount == Int((sparsity * 1_000).rounded(.down)), "step \(step)")
      #expect((0 ..< 1_000).allSatisfy { previous[$0] || !mask[$0] }, "step \(step)")
      previous = mask
    }
    #expect(previous.prunedCount == 800)
  }

  /// Sparsities must lie in [0, 1) and the end may not precede the start.
  @Test func invalidArgumentsThrow() throws {
    for (initial, final) in [(0, 1), (0, -0.1), (1, 0.5), (-0.5, 0.5), (0, .nan), (.nan, 0.5),
      (0, .infinity)] as [(Double, Double)]
    {
      let error = try #require(throws: PruningError.self) {
        try GradualSchedule(initial: initial, final: final, startStep: 0, endStep: 10)
      }
      guard case .invalidSchedule(let problem) = error else {
        Issue.record("wrong error \(error)")
        continue
      }
      #expect(problem.contains("sparsity"))
    }
    #expect(
      throws: PruningError.invalidSchedule("end step 4 is before start step 5")
    ) {
      try GradualSchedule(final: 0.5, startStep: 5, endStep: 4)
    }
    let schedule = try GradualSchedule(final: 0.5, startStep: 5, endStep: 5)
    #expect(schedule.initial == 0)
    #expect(try roundTrip(schedule) == schedule)
  }
}
