// Selection works on 32-bit keys that order exactly as the Float scores they stand for, so
// that finding the k lowest scores is integer work: histograms and comparisons on bits,
// never a sort. The map is the classic one: flip every bit of a negative float, flip only
// the sign bit of a positive one. −0 is folded into +0 first, since the two compare equal.

/// Order-preserving keys for `Float` scores: `a < b` exactly when `key(a) < key(b)`, and
/// `a == b` exactly when the keys are equal (for non-NaN scores).
enum ScoreKey {
  /// The key of any non-NaN score.
  @inline(__always)
  static func key(_ score: Float) -> UInt32 {
    let bits = (score + 0).bitPattern
    return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
  }

  /// The key of |value|: clearing the sign bit and setting the key's marker bit.
  @inline(__always)
  static func magnitudeKey(bits: UInt32) -> UInt32 {
    (bits & 0x7FFF_FFFF) | 0x8000_0000
  }

  /// The score a key stands for (the inverse of `key`).
  @inline(__always)
  static func score(_ key: UInt32) -> Float {
    Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
  }

  /// A key above every key of a finite or infinite score: a cut at this key prunes all.
  static let aboveAll: UInt32 = .max

  /// The key of an infinite magnitude: every key at or above it stands for a NaN or ±Inf
  /// score, which a finite weight's |w| never has (its w² can, beyond 1.8e19).
  static let infiniteMagnitude: UInt32 = 0xFF80_0000
}
