// Random importance scores that every implementation can reproduce bit for bit: a 64-bit
// linear congruential generator (Knuth's MMIX constants) and a fixed float conversion.
// Per element, one step per element in order from the seed; per row or column unit `u`,
// one step from `seed &+ u`.

/// The reference's reproducible random scores.
///
/// ```
/// state = state &* 6364136223846793005 &+ 1442695040888963407
/// score = Float(UInt32(state >> 32)) / 4294967296
/// ```
/// The conversion rounds to the nearest `Float`, so a score can be exactly 1 (when the upper
/// 32 bits are within 128 of 2³²); scores lie in [0, 1].
public enum RandomScores {
  /// The LCG multiplier.
  public static let multiplier: UInt64 = 6_364_136_223_846_793_005
  /// The LCG increment.
  public static let increment: UInt64 = 1_442_695_040_888_963_407

  /// The state after one step from `state`.
  @inline(__always)
  static func step(_ state: UInt64) -> UInt64 {
    state &* multiplier &+ increment
  }

  /// The score drawn from a state.
  @inline(__always)
  static func score(_ state: UInt64) -> Float {
    Float(UInt32(truncatingIfNeeded: state >> 32)) / 4_294_967_296
  }

  /// The state after `steps` steps from `state`, in O(log steps) by composing the affine
  /// map x ↦ a·x + c with itself.
  static func state(_ state: UInt64, advancedBy steps: Int) -> UInt64 {
    var (resultA, resultC): (UInt64, UInt64) = (1, 0)
    var (powerA, powerC) = (multiplier, increment)
    var remaining = UInt64(steps)
    while remaining > 0 {
      if remaining & 1 == 1 {
        (resultA, resultC) = (resultA &* powerA, resultC &* powerA &+ powerC)
      }
      (powerA, powerC) = (powerA &* powerA, powerC &* powerA &+ powerC)
      remaining >>= 1
    }
    return resultA &* state &+ resultC
  }

  /// The per-element scores of `count` elements from `seed`: element `i` takes the score of
  /// step `i + 1`. A count of 0 or less gives no scores.
  public static func elementScores(seed: UInt64, count: Int) -> [Float] {
    var state = seed
    return (0 ..< max(0, count)).map { _ in
      state = step(state)
      return score(state)
    }
  }

  /// The score of row or column `unit`: one step from `seed &+ unit`, a negative unit
  /// taken as its two's-complement bits (unit −1 is `seed &+ UInt64.max`).
  public static func unitScore(seed: UInt64, unit: Int) -> Float {
    score(step(seed &+ UInt64(bitPattern: Int64(unit))))
  }
}
