// A small, fast, reproducible random number generator for tests and benchmarks:
// SplitMix64 (Steele, Lea & Flood 2014). Every test that draws random inputs seeds
// one of these, so a failure reproduces from the seed it prints.

/// A seeded SplitMix64 generator: the same seed always yields the same sequence.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// Creates a generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) {
    state = seed
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// `count` floats drawn uniformly from `range`.
  public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
    (0..<count).map { _ in Float.random(in: range, using: &self) }
  }

  /// `count` floats drawn from a small set of `distinct` values, so that ties are common.
  public mutating func tiedFloats(_ count: Int, distinct: Int) -> [Float] {
    (0..<count).map { _ in Float(Int.random(in: 0..<distinct, using: &self)) - Float(distinct / 2) }
  }
}
