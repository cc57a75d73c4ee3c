import Foundation
import SafeTensors
import TestSupport
import Testing

/// Tensor names are keys by their UTF-8 bytes, as in a safetensors header: two names that
/// differ only in Unicode normalisation are two tensors (Python's safetensors loads such a
/// file), each found under its own bytes only.
@Suite("Tensor names by their bytes")
struct TensorNameTests {
  static let composed = "caf\u{E9}"  // é as one code point
  static let decomposed = "cafe\u{301}"  // e and a combining acute accent

  @Test("the two forms are equal Strings but different names")
  func keys() {
    #expect(Self.composed == Self.decomposed)
    #expect(TensorName(Self.composed) != TensorName(Self.decomposed))
    #expect(Set([TensorName(Self.composed), TensorName(Self.decomposed)]).count == 2)
    #expect(TensorName(Self.composed) == TensorName("caf\u{E9}"))
  }

  @Test("a file holding both forms opens, and each is found under its own bytes")
  func bothForms() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("names.safetensors")
    let header = "{" + entry(Self.composed, "U8", "[1]", "[0,1]") + ","
      + entry(Self.decomposed, "U8", "[2]", "[1,3]") + "}"
    try Data(fileBytes(header: header, data: [7, 8, 9])).write(to: URL(fileURLWithPath: path))
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.count == 2)
    #expect(file.tensor(named: Self.composed)?.shape == [1])
    #expect(file.tensor(named: Self.decomposed)?.shape == [2])
    #expect(file.tensor(named: "cafe") == nil)
    // A true duplicate, byte for byte, is still one.
    let duplicate = "{" + entry(Self.composed, "U8", "[1]", "[0,1]") + ","
      + entry(Self.composed, "U8", "[2]", "[1,3]") + "}"
    try Data(fileBytes(header: duplicate, data: [7, 8, 9])).write(to: URL(fileURLWithPath: path))
    #expect(openingError(path)?.description.contains("duplicate tensor name") == true)
  }
}
