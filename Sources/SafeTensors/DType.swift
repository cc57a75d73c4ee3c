// The element types a safetensors file can declare, spelled exactly as in the header's "dtype"
// field. The list and the bit widths follow the reference implementation
// (huggingface/safetensors, `Dtype` and `Dtype::bitsize` in safetensors/src/tensor.rs).

/// The element type of a tensor, as named by the `"dtype"` field of a safetensors header.
///
/// The raw value is the exact, upper-case string stored in the file (`"F32"`, `"BF16"`,
/// `"F8_E4M3"`, …); any other spelling, lower-case included, is not a dtype.
public enum DType: String, CaseIterable, Sendable, Hashable, Codable {
  /// Boolean, one byte per element.
  case bool = "BOOL"
  /// Unsigned 8-bit integer.
  case u8 = "U8"
  /// Signed 8-bit integer.
  case i8 = "I8"
  /// Signed 16-bit integer.
  case i16 = "I16"
  /// Unsigned 16-bit integer.
  case u16 = "U16"
  /// IEEE 754 half precision (binary16).
  case f16 = "F16"
  /// bfloat16: the top 16 bits of an IEEE 754 single.
  case bf16 = "BF16"
  /// Signed 32-bit integer.
  case i32 = "I32"
  /// Unsigned 32-bit integer.
  case u32 = "U32"
  /// IEEE 754 single precision (binary32).
  case f32 = "F32"
  /// IEEE 754 double precision (binary64).
  case f64 = "F64"
  /// Signed 64-bit integer.
  case i64 = "I64"
  /// Unsigned 64-bit integer.
  case u64 = "U64"
  /// Complex number made of two 32-bit floats (real, imaginary): 64 bits per element.
  case c64 = "C64"
  /// 8-bit float with 5 exponent and 2 mantissa bits.
  case f8E5M2 = "F8_E5M2"
  /// 8-bit float with 4 exponent and 3 mantissa bits.
  case f8E4M3 = "F8_E4M3"
  /// 8-bit power-of-two scale (8 exponent bits, no mantissa), as used by MX formats.
  case f8E8M0 = "F8_E8M0"
  /// 8-bit float, 4 exponent and 3 mantissa bits, finite only, no negative zero.
  case f8E4M3FNUZ = "F8_E4M3FNUZ"
  /// 8-bit float, 5 exponent and 2 mantissa bits, finite only, no negative zero.
  case f8E5M2FNUZ = "F8_E5M2FNUZ"
  /// 6-bit float with 2 exponent and 3 mantissa bits, packed.
  case f6E2M3 = "F6_E2M3"
  /// 6-bit float with 3 exponent and 2 mantissa bits, packed.
  case f6E3M2 = "F6_E3M2"
  /// 4-bit float (E2M1), two elements per byte.
  case f4 = "F4"

  /// The number of bits one element occupies in the data region.
  ///
  /// Between 4 (`F4`) and 64 (`F64`, `I64`, `U64`, `C64`). Sub-byte types are packed, so a
  /// tensor's byte length is `elementCount × bitWidth / 8`, and a tensor whose bit count is
  /// not a multiple of 8 (an odd number of `F4` elements, say) cannot be stored.
  public var bitWidth: Int {
    switch self {
    case .f4: 4
    case .f6E2M3, .f6E3M2: 6
    case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: 8
    case .i16, .u16, .f16, .bf16: 16
    case .i32, .u32, .f32: 32
    case .f64, .i64, .u64, .c64: 64
    }
  }

  /// Whether each element is one real floating-point number.
  ///
  /// True for `F16`, `BF16`, `F32`, `F64`, every `F8_*` (including the exponent-only
  /// `F8_E8M0`), both `F6_*` and `F4`. False for the integers, `BOOL`, and `C64`: a complex
  /// number is a pair of floats, not one, so it cannot be ranked or compared like a weight.
  public var isFloatingPoint: Bool {
    switch self {
    case .f16, .bf16, .f32, .f64, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ,
      .f6E2M3, .f6E3M2, .f4:
      true
    case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64, .c64:
      false
    }
  }
}
