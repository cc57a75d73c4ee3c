// The inner loops of selection and pruning work on 16 lanes at a time. Swift's SIMD types
// compile to AVX-512 / AVX2 vectors; the helpers here turn lane masks into bit masks and back,
// which is what connects per-element comparisons to the one-bit-per-element `PruningMask`.

/// Sixteen selection keys.
typealias KeyLanes = SIMD16<UInt32>

extension UnsafeMutableBufferPointer where Element == UInt32 {
  /// The 16 keys starting at `index` (which must leave 16 in the buffer; checked in debug
  /// builds only).
  @inline(__always)
  func lanes(at index: Int) -> KeyLanes {
    assert(index >= 0 && index + 16 <= count, "lanes at \(index) past \(count)")
    return UnsafeRawPointer(baseAddress.unsafelyUnwrapped + index).loadUnaligned(as: KeyLanes.self)
  }
}

/// Bit masks of lane masks, and lane masks of bit masks — in integer lane arithmetic only:
/// `SIMDMask`'s per-lane `replacing(with:where:)` compiles to a scalar loop through memory,
/// while and, shift and add compile to vector instructions.
enum LaneBits {
  /// Lane j's index j.
  @inline(__always)
  static func indices<Scalar: FixedWidthInteger & SIMDScalar>(_: Scalar.Type) -> SIMD16<Scalar> {
    SIMD16<Scalar>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
  }

  /// All ones in the lanes where `mask` is true, zero elsewhere. A comparison's mask is
  /// stored as exactly that (`SIMDMask._storage`, lanes of −1 or 0).
  @inline(__always)
  static func ones(_ mask: SIMDMask<SIMD16<Int32>>) -> KeyLanes {
    unsafeBitCast(mask._storage, to: KeyLanes.self)
  }

  /// A 16-bit mask with bit j set when lane j of `mask` is true.
  @inline(__always)
  static func bits(_ mask: SIMDMask<SIMD16<Int32>>) -> UInt64 {
    UInt64((ones(mask) & (KeyLanes(repeating: 1) &<< indices(UInt32.self))).wrappedSum())
  }

  /// All ones in lane j when bit j of `bits` is set (the low 16 bits), zero elsewhere.
  @inline(__always)
  static func ones<Scalar: FixedWidthInteger & SIMDScalar>(_ bits: UInt64, _: Scalar.Type)
    -> SIMD16<Scalar>
  {
    let spread = SIMD16<Scalar>(repeating: Scalar(truncatingIfNeeded: bits & 0xFFFF))
    return SIMD16<Scalar>(repeating: 0) &- ((spread &>> indices(Scalar.self)) & 1)
  }
}
