import SafeTensors
import TestSupport
import Testing

@Suite("Byte-exact fixtures")
struct FixtureTests {
  @Test("no tensors, no metadata: 08 00 00 00 00 00 00 00, {}, six spaces")
  func emptyFile() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("empty.safetensors")
    try writeTensors([], metadata: nil, to: path)
    let expected: [UInt8] =
      [0x08, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20]
    #expect(try readRaw(path) == expected)

    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.isEmpty)
    #expect(!file.hasMetadata)
    #expect(file.fileSize == 16)
  }

  @Test("\"__metadata__\": null reads as no metadata, as in the reference implementation")
  func nullMetadata() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("null.safetensors")
    let header = "{\"__metadata__\":null," + entry("w", "U8", "[2]", "[0,2]") + "}"
    try writeRaw(fileBytes(header: header, data: [7, 9]), to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(!file.hasMetadata)
    #expect(file.metadata.isEmpty)
    #expect(file.tensors.map(\.name) == ["w"])

    let twice = directory.file("twice.safetensors")
    try writeRaw(fileBytes(header: #"{"__metadata__":null,"__metadata__":{}}"#), to: twice)
    #expect(openingError(twice)?.description.contains("appears more than once") == true)
  }

  @Test("one F32 tensor [1.0, -2.0], bytes worked out by hand")
  func smallF32() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("w.safetensors")
    // 1.0 = 0x3F800000 and -2.0 = 0xC0000000, little-endian.
    let data: [UInt8] = [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]
    try writeTensors(
      [(TensorHeader(name: "w", dtype: .f32, shape: [2]), data)],
      metadata: nil, to: path)

    // The JSON is 54 bytes; 8 + 54 = 62, so 2 spaces of padding make N = 56 = 0x38.
    let json = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    #expect(json.utf8.count == 54)
    let expected: [UInt8] = [0x38, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [0x20, 0x20] + data
    #expect(try readRaw(path) == expected)

    let file = try SafeTensorsFile(path: path)
    let tensor = try #require(file.tensor(named: "w"))
    let values = file.withBytes(of: tensor) { buffer in
      (0..<2).map {
        Float(
          bitPattern: buffer.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian)
      }
    }
    #expect(values == [1.0, -2.0])
  }

  /// Written by Python's safetensors 0.8.0:
  /// `save({"b": np.arange(4, dtype=np.float32).reshape(2, 2),
  ///        "a": np.array([1, 2, 3], dtype=np.uint8)}, metadata={"format": "pt"})`
  static let referenceFile: [UInt8] = [
    0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7B, 0x22, 0x5F, 0x5F, 0x6D, 0x65, 0x74,
    0x61, 0x64, 0x61, 0x74, 0x61, 0x5F, 0x5F, 0x22, 0x3A, 0x7B, 0x22, 0x66, 0x6F, 0x72, 0x6D,
    0x61, 0x74, 0x22, 0x3A, 0x22, 0x70, 0x74, 0x22, 0x7D, 0x2C, 0x22, 0x62, 0x22, 0x3A, 0x7B,
    0x22, 0x64, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3A, 0x22, 0x46, 0x33, 0x32, 0x22, 0x2C, 0x22,
    0x73, 0x68, 0x61, 0x70, 0x65, 0x22, 0x3A, 0x5B, 0x32, 0x2C, 0x32, 0x5D, 0x2C, 0x22, 0x64,
    0x61, 0x74, 0x61, 0x5F, 0x6F, 0x66, 0x66, 0x73, 0x65, 0x74, 0x73, 0x22, 0x3A, 0x5B, 0x30,
    0x2C, 0x31, 0x36, 0x5D, 0x7D, 0x2C, 0x22, 0x61, 0x22, 0x3A, 0x7B, 0x22, 0x64, 0x74, 0x79,
    0x70, 0x65, 0x22, 0x3A, 0x22, 0x55, 0x38, 0x22, 0x2C, 0x22, 0x73, 0x68, 0x61, 0x70, 0x65,
    0x22, 0x3A, 0x5B, 0x33, 0x5D, 0x2C, 0x22, 0x64, 0x61, 0x74, 0x61, 0x5F, 0x6F, 0x66, 0x66,
    0x73, 0x65, 0x74, 0x73, 0x22, 0x3A, 0x5B, 0x31, 0x36, 0x2C, 0x31, 0x39, 0x5D, 0x7D, 0x7D,
    0x20, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40, 0x00,
    0x00, 0x40, 0x40, 0x01, 0x02, 0x03,
  ]

  @Test("reads a file written by the reference implementation")
  func readsReference() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("reference.safetensors")
    try writeRaw(Self.referenceFile, to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(file.metadata == ["format": "pt"])
    #expect(file.tensors.map(\.name) == ["b", "a"])
    let b = try #require(file.tensor(named: "b"))
    #expect(b.dtype == .f32 && b.shape == [2, 2] && b.dataOffsets == 0..<16)
    let a = try #require(file.tensor(named: "a"))
    #expect(a.dtype == .u8 && a.shape == [3] && a.dataOffsets == 16..<19)
    #expect(bytes(of: a, in: file) == [1, 2, 3])
  }

  @Test("writes the same bytes as the reference implementation, given the same order")
  func writesReference() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("ours.safetensors")
    let floats: [UInt8] = [0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40]
    try writeTensors(
      [
        (TensorHeader(name: "b", dtype: .f32, shape: [2, 2]), floats),
        (TensorHeader(name: "a", dtype: .u8, shape: [3]), [1, 2, 3]),
      ], metadata: ["format": "pt"], to: path)
    #expect(try readRaw(path) == Self.referenceFile)
  }

  @Test("metadata keys are written sorted, before the tensors")
  func metadataOrder() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("meta.safetensors")
    try writeTensors([], metadata: ["b": "2", "a": "1", "c": "3"], to: path)
    let json = #"{"__metadata__":{"a":"1","b":"2","c":"3"}}"#
    let raw = try readRaw(path)
    #expect(Array(raw[8..<8 + json.utf8.count]) == Array(json.utf8))
  }

  @Test("whitespace around the header object is accepted, tensors listed in any order")
  func lenientButValid() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("ws.safetensors")
    let header =
      " \t\r\n{ \"b\" : {\"data_offsets\":[2,3],\"shape\":[],\"dtype\":\"U8\"} ,"
      + entry("a", "I16", "[1]", "[0, 2]") + "}\n\n  "
    try writeRaw(fileBytes(header: header, data: [1, 2, 3]), to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.map(\.name) == ["a", "b"])
    #expect(file.tensors.map(\.dataOffsets) == [0..<2, 2..<3])
    #expect(file.tensor(named: "b")?.elementCount == 1)
  }

  @Test("JSON escapes in names decode: \\uXXXX, surrogate pairs, \\n, \\\", \\/")
  func escapesDecode() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("esc.safetensors")
    let name = #"\u00e9\ud83c\udf32\n\"\/\\\b\f\r\t\u0000"#
    let header = "{" + entry(name, "U8", "[1]", "[0,1]") + "}"
    try writeRaw(fileBytes(header: header, data: [0]), to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.map(\.name) == ["é🌲\n\"/\\\u{8}\u{C}\r\t\u{0}"])
  }

  @Test("zero-sized tensors may share an offset with their neighbours")
  func zeroSized() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("zero.safetensors")
    let header =
      "{" + entry("z2", "F32", "[0]", "[4,4]") + "," + entry("a", "F32", "[]", "[0,4]")
      + "," + entry("z1", "F32", "[5,0]", "[4,4]") + "," + entry("z0", "BOOL", "[0]", "[0,0]")
      + "}"
    try writeRaw(fileBytes(header: header, data: [0, 0, 0, 0]), to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.map(\.name) == ["z0", "a", "z2", "z1"])
    #expect(file.tensors.map(\.byteCount) == [0, 4, 0, 0])
    #expect(bytes(of: file.tensors[2], in: file) == [])
  }
}
