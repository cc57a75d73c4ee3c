import SafeTensors
import Testing

@Suite("DType")
struct DTypeTests {
  @Test("all 22 reference dtypes, spelled as in the file")
  func allCases() {
    let names = DType.allCases.map(\.rawValue).sorted()
    let expected = [
      "BF16", "BOOL", "C64", "F16", "F32", "F4", "F64", "F6_E2M3", "F6_E3M2", "F8_E4M3",
      "F8_E4M3FNUZ", "F8_E5M2", "F8_E5M2FNUZ", "F8_E8M0", "I16", "I32", "I64", "I8", "U16",
      "U32", "U64", "U8",
    ].sorted()
    #expect(names == expected)
    #expect(DType(rawValue: "f32") == nil)
  }

  @Test("bit widths as in the reference's Dtype::bitsize")
  func bitWidths() {
    let expected: [DType: Int] = [
      .bool: 8, .u8: 8, .i8: 8, .i16: 16, .u16: 16, .f16: 16, .bf16: 16, .i32: 32, .u32: 32,
      .f32: 32, .f64: 64, .i64: 64, .u64: 64, .c64: 64, .f8E5M2: 8, .f8E4M3: 8,
      .f8E8M0: 8, .f8E4M3FNUZ: 8, .f8E5M2FNUZ: 8, .f6E2M3: 6, .f6E3M2: 6, .f4: 4,
    ]
    for dtype in DType.allCases {
      #expect(dtype.bitWidth == expected[dtype], "\(dtype)")
    }
  }

  @Test("floating point: F16, BF16, F32, F64, F8*, F6*, F4; not integers, BOOL or C64")
  func floatingPoint() {
    let floats = DType.allCases.filter(\.isFloatingPoint).map(\.rawValue).sorted()
    #expect(
      floats
        == [
          "BF16", "F16", "F32", "F4", "F64", "F6_E2M3", "F6_E3M2", "F8_E4M3", "F8_E4M3FNUZ",
          "F8_E5M2", "F8_E5M2FNUZ", "F8_E8M0",
        ].sorted())
  }
}
