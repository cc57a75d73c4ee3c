import Pruning
import SafeTensors

/// Counting the nonzero elements of a tensor of any dtype, where its bytes lie.
///
/// An element is zero when all its bits are clear, ignoring the sign bit of floating-point
/// types (so −0 counts as zero). Elements narrower than a byte (F4, F6) are read as
/// consecutive bit fields, least significant bit first.
enum ZeroCount {
  /// The number of nonzero elements among the `count` elements of `dtype` in `bytes`.
  static func nonzero(in bytes: UnsafeRawBufferPointer, dtype: DType, count: Int) -> Int {
    guard dtype.isPrunable else { return bitFieldNonzero(in: bytes, dtype: dtype, count: count) }
    // F32, F16 and BF16: the counting copy's count, where the bytes lie (any alignment).
    return CountingCopy.copy(
      bytes, elementSize: dtype.bitWidth / 8, to: nil, keeping: nil, writtenNonzero: nil
    ).source
  }

  /// The general case: each element's bits read from the byte stream.
  private static func bitFieldNonzero(in bytes: UnsafeRawBufferPointer, dtype: DType, count: Int)
    -> Int
  {
    let width = dtype.bitWidth
    let ignored = signBits(of: dtype)
    var nonzero = 0
    for element in 0 ..< count {
      var value: UInt64 = 0
      let firstBit = element * width
      for bit in 0 ..< width {
        let position = firstBit + bit
        let set = UInt64(bytes[position >> 3] >> UInt8(position & 7) & 1)
        value |= set << UInt64(bit)
      }
      nonzero += value & ~ignored == 0 ? 0 : 1
    }
    return nonzero
  }

  /// The sign bits of a floating-point element (two for complex C64), none for integers.
  private static func signBits(of dtype: DType) -> UInt64 {
    switch dtype {
    case .c64: return 1 << 31 | 1 << 63
    case _ where dtype.isFloatingPoint && dtype != .f8E8M0: return 1 << UInt64(dtype.bitWidth - 1)
    default: return 0
    }
  }
}
