import SafeTensors
import TestSupport
import Testing

@Suite("Round trip")
struct RoundTripTests {
  /// Scalar, zero-sized, and a few ranks; the writer refuses the ones whose bit count is not
  /// a multiple of 8 for sub-byte dtypes, so those are filtered out here.
  static let shapes: [[Int]] = [[], [0], [4], [2, 4], [3, 0, 2], [8, 3], [1, 1, 1, 8]]

  static func storable(_ shape: [Int], _ dtype: DType) -> Bool {
    shape.reduce(1, *) * dtype.bitWidth % 8 == 0
  }

  @Test("every dtype: random bytes come back identical, metadata kept", arguments: DType.allCases)
  func everyDType(dtype: DType) throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("\(dtype.rawValue).safetensors")
    var generator = SeededGenerator(
      seed: UInt64(dtype.bitWidth) &* 7919 &+ UInt64(dtype.rawValue.utf8.count))
    let shapes = Self.shapes.filter { Self.storable($0, dtype) }
    #expect(shapes.count >= 5)
    let tensors = shapes.enumerated().map { index, shape in
      let count = shape.reduce(1, *) * dtype.bitWidth / 8
      return (
        header: TensorHeader(name: "t\(index)", dtype: dtype, shape: shape),
        bytes: randomBytes(count, using: &generator)
      )
    }
    let metadata = ["format": "pt", "dtype": dtype.rawValue, "empty": ""]
    try writeTensors(tensors, metadata: metadata, to: path)

    let file = try SafeTensorsFile(path: path)
    #expect(file.metadata == metadata)
    #expect(file.hasMetadata)
    #expect(file.tensors.map(\.name) == tensors.map(\.header.name))
    var expectedBegin = 0
    for (info, (header, written)) in zip(file.tensors, tensors) {
      #expect(info.dtype == dtype)
      #expect(info.shape == header.shape)
      #expect(info.elementCount * dtype.bitWidth == written.count * 8)
      #expect(info.dataOffsets == expectedBegin..<expectedBegin + written.count)
      expectedBegin += written.count
      #expect(bytes(of: info, in: file) == written)
      #expect(file.tensor(named: header.name) == info)
    }
    #expect(file.tensor(named: "missing") == nil)
  }

  @Test("metadata nil writes no __metadata__ key; empty metadata writes an empty one")
  func metadataPresence() throws {
    let directory = try TemporaryDirectory()
    let tensor = (header: TensorHeader(name: "x", dtype: .u8, shape: [2]), bytes: [UInt8]([7, 9]))

    try writeTensors([tensor], metadata: nil, to: directory.file("nil.safetensors"))
    let withoutMetadata = try SafeTensorsFile(path: directory.file("nil.safetensors"))
    #expect(!withoutMetadata.hasMetadata)
    #expect(withoutMetadata.metadata.isEmpty)
    let raw = try readRaw(directory.file("nil.safetensors"))
    #expect(!String(decoding: raw, as: UTF8.self).contains("__metadata__"))

    try writeTensors([tensor], metadata: [:], to: directory.file("empty.safetensors"))
    let emptyMetadata = try SafeTensorsFile(path: directory.file("empty.safetensors"))
    #expect(emptyMetadata.hasMetadata)
    #expect(emptyMetadata.metadata.isEmpty)
  }

  @Test("names and metadata needing escapes survive: quotes, backslashes, controls, Unicode")
  func escapedStrings() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("escapes.safetensors")
    let names = ["a\"b", "back\\slash", "new\nline\ttab\u{1}\u{1F}", "é — 日本 🌲", "", "/"]
    let tensors = names.map {
      (header: TensorHeader(name: $0, dtype: .i8, shape: [1]), bytes: [UInt8]([42]))
    }
    let metadata = ["k\"\\\n": "v\u{0}\u{7F}🌲", "ключ": "значение"]
    try writeTensors(tensors, metadata: metadata, to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.map(\.name) == names)
    #expect(file.metadata == metadata)
  }

  @Test("data offsets contiguous in the given order, data region 8-aligned and space-padded")
  func layout() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("layout.safetensors")
    var generator = SeededGenerator(seed: 42)
    // Odd sizes, so that contiguity is not an accident of alignment.
    let tensors: [(header: TensorHeader, bytes: [UInt8])] = [
      (TensorHeader(name: "z", dtype: .u8, shape: [3]), randomBytes(3, using: &generator)),
      (TensorHeader(name: "y", dtype: .f16, shape: [5]), randomBytes(10, using: &generator)),
      (TensorHeader(name: "empty", dtype: .f64, shape: [0, 4]), []),
      (TensorHeader(name: "a", dtype: .f4, shape: [2, 3]), randomBytes(3, using: &generator)),
    ]
    try writeTensors(tensors, metadata: ["k": "v"], to: path)
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.map(\.name) == ["z", "y", "empty", "a"])
    #expect(file.tensors.map(\.dataOffsets) == [0..<3, 3..<13, 13..<13, 13..<16])

    let raw = try readRaw(path)
    let headerLength = Int(raw[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    #expect((8 + headerLength) % 8 == 0)
    #expect(raw.count == 8 + headerLength + 16)
    #expect(file.fileSize == raw.count)
    let json = raw[8..<8 + headerLength]
    let closing = try #require(json.lastIndex(of: UInt8(ascii: "}")))
    #expect(json[(closing + 1)...].allSatisfy { $0 == UInt8(ascii: " ") })
    #expect(raw[(8 + headerLength)...].elementsEqual(tensors.flatMap(\.bytes)))
  }

  @Test("a file is shared safely between concurrent readers")
  func concurrentReads() async throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("shared.safetensors")
    var generator = SeededGenerator(seed: 7)
    let tensors = (0..<8).map { index in
      (
        header: TensorHeader(name: "w\(index)", dtype: .f32, shape: [64]),
        bytes: randomBytes(256, using: &generator)
      )
    }
    try writeTensors(tensors, metadata: nil, to: path)
    let file = try SafeTensorsFile(path: path)
    let sums = await withTaskGroup(of: Int.self) { group in
      for tensor in file.tensors {
        group.addTask { file.withBytes(of: tensor) { $0.reduce(0) { $0 + Int($1) } } }
      }
      return await group.reduce(0, +)
    }
    #expect(sums == tensors.flatMap(\.bytes).reduce(0) { $0 + Int($1) })
  }
}
