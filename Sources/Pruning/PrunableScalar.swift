/// A floating-point element type that Bonsai prunes in place: `Float`, `Float16` and
/// `BFloat16`.
///
/// Scores are computed in `Float`, to which each of these widens exactly; pruning writes
/// positive zero and leaves every kept element's bits untouched.
public protocol PrunableScalar: BitwiseCopyable, Sendable {
  /// The element's bit pattern type.
  associatedtype Bits: FixedWidthInteger & UnsignedInteger & SIMDScalar & Sendable

  /// The element widened to `Float`, exactly.
  var widened: Float { get }

  /// The bits of +Inf: every |x| bit pattern at or above it is NaN or ±Inf.
  static var infinityBits: Bits { get }
}

extension PrunableScalar {
  /// Whether the element with these bits is NaN or ±Inf, decided on the bits alone.
  @inlinable
  static func isNonFinite(bits: Bits) -> Bool {
    bits & (Bits.max >> 1) >= infinityBits
  }
}

extension Float: PrunableScalar {
  /// The bit pattern of a `Float`.
  public typealias Bits = UInt32

  /// The value itself.
  @inlinable public var widened: Float { self }

  /// The bits of +Inf.
  @inlinable public static var infinityBits: UInt32 { 0x7F80_0000 }
}

extension Float16: PrunableScalar {
  /// The bit pattern of a `Float16`.
  public typealias Bits = UInt16

  /// The value widened to `Float`, exactly.
  @inlinable public var widened: Float { Float(self) }

  /// The bits of +Inf.
  @inlinable public static var infinityBits: UInt16 { 0x7C00 }
}

/// The bfloat16 format: the upper 16 bits of a `Float` (8-bit exponent, 7-bit mantissa).
///
/// Bonsai reads and prunes bfloat16 weights without converting them; widening to `Float`
/// is exact.
public struct BFloat16: PrunableScalar, Hashable {
  /// The raw 16 bits.
  public var bitPattern: UInt16

  /// The bfloat16 with these bits.
  @inlinable public init(bitPattern: UInt16) {
    self.bitPattern = bitPattern
  }

  /// The nearest bfloat16 to `value`, ties to even; NaN stays NaN.
  @inlinable public init(_ value: Float) {
    let bits = value.bitPattern
    if value.isNaN {
      bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
    } else {
      let roundingBias = 0x7FFF &+ ((bits >> 16) & 1)
      bitPattern = UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }
  }

  /// The value widened to `Float`, exactly.
  @inlinable public var widened: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

  /// The bits of +Inf.
  @inlinable public static var infinityBits: UInt16 { 0x7F80 }
}
