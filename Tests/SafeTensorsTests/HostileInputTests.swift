import SafeTensors
import TestSupport
import Testing

@Suite("Hostile input")
struct HostileInputTests {
  /// A valid file with metadata, escapes, several dtypes and a zero-sized tensor.
  static func seedFile() -> [UInt8] {
    let header =
      #"{"__metadata__":{"format":"pt","k\u00e9":"v\n"},"#
      + entry("a", "F32", "[2,2]", "[0,16]") + ","
      + entry(#"b\"\ud83c\udf32"#, "F4", "[4]", "[16,18]")
      + "," + entry("z", "I64", "[0,3]", "[18,18]") + "," + entry("s", "U8", "[]", "[18,19]") + "}"
    return fileBytes(header: header, data: Array(0..<19))
  }

  @Test("the seed file is valid")
  func seedIsValid() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("seed.safetensors")
    try writeRaw(Self.seedFile(), to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.map(\.name) == ["a", "b\"🌲", "z", "s"])
    #expect(file.metadata == ["format": "pt", "ké": "v\n"])
  }

  /// Mutates the seed file at random and opens each result: every one must either open,
  /// with every tensor inside the file, or throw; none may crash or hang.
  @Test("random mutations never crash", arguments: [1, 2, 3, 4] as [UInt64])
  func mutations(seed: UInt64) throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("mutant.safetensors")
    var generator = SeededGenerator(seed: seed)
    let seedFile = Self.seedFile()
    let interesting: [[UInt8]] = [
      Array("-".utf8), Array("1e3".utf8), Array("0.5".utf8), Array("99999999999999999999".utf8),
      Array("\"".utf8), Array("\\u".utf8), Array("{".utf8), Array("]".utf8), Array(",".utf8),
      Array("null".utf8), [0xFF], [0xC3], [0x00], Array("__metadata__".utf8),
    ]
    var opened = 0
    for _ in 0..<400 {
      var bytes = seedFile
      for _ in 0..<Int.random(in: 1...3, using: &generator) {
        let index = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: bytes[index] = UInt8.random(in: .min ... .max, using: &generator)
        case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        case 2:
          bytes.removeSubrange(
            index..<min(bytes.count, index + Int.random(in: 1...4, using: &generator)))
        case 3:
          bytes.insert(contentsOf: interesting.randomElement(using: &generator) ?? [], at: index)
        default: bytes = Array(bytes.prefix(index))
        }
        if bytes.isEmpty { break }
      }
      try writeRaw(bytes, to: path)
      do {
        let file = try SafeTensorsFile(path: path)
        opened += 1
        // The views must be the exact bytes of the data region, which they tile.
        let dataStart = 8 + Int(bytes[0 ..< 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        var covered = 0
        for tensor in file.tensors {
          #expect(tensor.dataOffsets.lowerBound == covered)
          covered = tensor.dataOffsets.upperBound
          let expected = bytes[(dataStart + tensor.dataOffsets.lowerBound) ..< (dataStart + tensor.dataOffsets.upperBound)]
          #expect(file.withBytes(of: tensor) { $0.elementsEqual(expected) })
        }
        #expect(covered == bytes.count - dataStart)
        #expect(file.fileSize == bytes.count)
      } catch {
        #expect(!error.description.contains("\n"))
      }
    }
    // Some mutations (inside the data, or in metadata values) keep the file valid.
    #expect(opened > 0)
  }

  @Test("a header of megabytes of nesting or digits is rejected without blowing the stack")
  func hugeHeaders() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("huge.safetensors")
    let nested = #"{"t":{"dtype":"F32","shape":"# + String(repeating: "[", count: 1_000_000)
    try writeRaw(fileBytes(header: nested), to: path)
    #expect(
      openingError(path)?.description.contains(
        "shape[0] must be a non-negative integer, found an array") == true)

    let zeros =
      #"{"t":{"dtype":"F32","shape":["# + String(repeating: "1,", count: 500_000) + "0]}}"
    try writeRaw(fileBytes(header: zeros), to: path)
    #expect(
      openingError(path)?.description.contains(#"tensor "t": missing field "data_offsets""#)
        == true)
  }
}
