import Foundation
import SafeTensors
import TestSupport
import Testing

@Suite("Writer")
struct WriterTests {
  static let header = TensorHeader(name: "w", dtype: .f32, shape: [2, 2])
  static let data: [UInt8] = Array(0..<16)

  @Test("bytes may arrive in any chunking")
  func chunking() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("chunks.safetensors")
    let headers = [Self.header, TensorHeader(name: "v", dtype: .u8, shape: [5])]
    let all: [UInt8] = Self.data + [20, 21, 22, 23, 24]
    let writer = try SafeTensorsWriter(path: path, tensors: headers, metadata: nil)
    // Chunks straddle the boundary between the two tensors.
    for range in [0..<1, 1..<1, 1..<15, 15..<18, 18..<21] {
      try append(Array(all[range]), to: writer)
    }
    try writer.finish()
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.flatMap { bytes(of: $0, in: file) } == all)
    #expect(try directory.entries() == ["chunks.safetensors"])
  }

  @Test("abandon() leaves nothing behind")
  func abandon() throws {
    let directory = try TemporaryDirectory()
    let writer = try SafeTensorsWriter(
      path: directory.file("out.safetensors"), tensors: [Self.header], metadata: nil)
    let entries = try directory.entries()
    #expect(entries.count == 1)
    #expect(
      entries.first?.hasPrefix(".out.safetensors" + TemporaryName.marker) == true)
    try append(Array(Self.data.prefix(8)), to: writer)
    writer.abandon()
    writer.abandon()
    #expect(try directory.entries().isEmpty)
  }

  @Test("releasing an unfinished writer removes the temporary file")
  func releaseWithoutFinish() throws {
    let directory = try TemporaryDirectory()
    do {
      let writer = try SafeTensorsWriter(
        path: directory.file("out.safetensors"), tensors: [Self.header], metadata: nil)
      #expect(try directory.entries().count == 1)
      _ = writer
    }
    #expect(try directory.entries().isEmpty)
  }

  @Test("too few bytes: finish() throws, no destination, no temporary file")
  func tooFewBytes() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("out.safetensors")
    let headers = [Self.header, TensorHeader(name: "v", dtype: .u8, shape: [4])]
    let writer = try SafeTensorsWriter(path: path, tensors: headers, metadata: nil)
    try append(Self.data, to: writer)
    try append([0, 0, 0], to: writer)
    #expect(
      throws: SafeTensorsError.missingBytes(path: path, tensor: "v", written: 3, expected: 4)
    ) {
      try writer.finish()
    }
    #expect(try directory.entries().isEmpty)
    let message = SafeTensorsError.missingBytes(path: path, tensor: "v", written: 3, expected: 4)
      .description
    #expect(
      message == #"\#(path): tensor "v": only 3 of its 4 bytes were appended before finish()"#)
  }

  @Test("too many bytes: append() throws and the temporary file is removed")
  func tooManyBytes() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("out.safetensors")
    let writer = try SafeTensorsWriter(path: path, tensors: [Self.header], metadata: nil)
    let extra = Self.data + [99]
    #expect(throws: SafeTensorsError.excessBytes(path: path, declared: 16, received: 17)) {
      try append(extra, to: writer)
    }
    #expect(try directory.entries().isEmpty)
  }

  @Test("an existing destination is untouched until finish(), then replaced")
  func replacesOnlyAtFinish() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("model.safetensors")
    let original: [UInt8] = Array("previous content".utf8)
    try writeRaw(original, to: path)

    let writer = try SafeTensorsWriter(path: path, tensors: [Self.header], metadata: ["v": "2"])
    try append(Self.data, to: writer)
    #expect(try readRaw(path) == original)
    #expect(try directory.entries().count == 2)
    try writer.finish()
    #expect(try directory.entries() == ["model.safetensors"])
    let file = try SafeTensorsFile(path: path)
    #expect(file.metadata == ["v": "2"])
    #expect(bytes(of: file.tensors[0], in: file) == Self.data)
    writer.abandon()  // after finish: does nothing
    #expect(try directory.entries() == ["model.safetensors"])
  }

  @Test("a failed write leaves an existing destination as it was")
  func failureKeepsDestination() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("model.safetensors")
    let original: [UInt8] = Array("previous content".utf8)
    try writeRaw(original, to: path)
    let writer = try SafeTensorsWriter(path: path, tensors: [Self.header], metadata: nil)
    #expect(throws: SafeTensorsError.self) { try writer.finish() }
    #expect(try readRaw(path) == original)
    #expect(try directory.entries() == ["model.safetensors"])
  }

  @Test("relative paths write next to the destination")
  func relativePath() throws {
    // Relative to the working directory, which the test must not change: other tests run
    // in parallel in the same process.
    let directory = try TemporaryDirectory()
    let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
    let relative = String(repeating: "../", count: depth) + directory.path.dropFirst()
    try writeTensors(
      [(Self.header, Self.data)], metadata: nil, to: relative + "/relative.safetensors")
    #expect(try directory.entries() == ["relative.safetensors"])
    #expect(try SafeTensorsFile(path: relative + "/relative.safetensors").tensors.count == 1)
  }

  @Test("tensors that cannot be stored are refused before anything is created")
  func invalidHeaders() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("x.safetensors")
    let cases: [([TensorHeader], String)] = [
      (
        [
          TensorHeader(name: "a", dtype: .u8, shape: [1]),
          TensorHeader(name: "a", dtype: .u8, shape: [1]),
        ],
        #"tensor "a": duplicate tensor name"#
      ),
      (
        [TensorHeader(name: "__metadata__", dtype: .u8, shape: [1])],
        #"tensor "__metadata__": the name is reserved for the metadata map"#
      ),
      (
        [TensorHeader(name: "n", dtype: .u8, shape: [2, -1])],
        #"tensor "n": shape[1] is -1; dimensions must be non-negative"#
      ),
      ([TensorHeader(name: "f", dtype: .f4, shape: [3])], "12 bits, not a whole number of bytes"),
      ([TensorHeader(name: "o", dtype: .f32, shape: [1 << 62])], "(overflow)"),
      // Each is Int.max / 8 bytes, so the ninth takes the total past Int.max.
      (
        (0..<9).map { TensorHeader(name: "p\($0)", dtype: .u8, shape: [Int.max / 8]) },
        #"tensor "p8": the tensors' total size overflows"#
      ),
    ]
    for (headers, message) in cases {
      do {
        _ = try SafeTensorsWriter(path: path, tensors: headers, metadata: nil)
        Issue.record("accepted \(headers)")
      } catch {
        #expect(error.description.contains(message), "\(error)")
      }
    }
    #expect(try directory.entries().isEmpty)
  }

  @Test("a directory that does not exist cannot hold the temporary file")
  func missingDirectory() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("no/such/dir/x.safetensors")
    #expect(throws: SafeTensorsError.cannotCreate(path: path, errno: ENOENT)) {
      _ = try SafeTensorsWriter(path: path, tensors: [], metadata: nil)
    }
  }

  @Test("a destination that is a directory is refused before a temporary file is created")
  func destinationIsDirectory() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("taken")
    try FileManager.default.createDirectory(
      atPath: path + "/inside", withIntermediateDirectories: true)
    #expect(throws: SafeTensorsError.notRegularDestination(path: path, kind: "a directory")) {
      _ = try SafeTensorsWriter(path: path, tensors: [], metadata: nil)
    }
    #expect(try directory.entries() == ["taken"])
  }

  @Test("I/O error messages: ENOSPC says no space left on device, naming the output")
  func errorMessages() {
    #expect(
      SafeTensorsError.cannotWrite(path: "out.safetensors", errno: ENOSPC).description
        == "out.safetensors: cannot write: no space left on device")
    #expect(
      SafeTensorsError.cannotCreate(path: "out.safetensors", errno: EACCES).description
        == "out.safetensors: cannot create a temporary file in its directory: "
        + "Permission denied (errno \(EACCES))")
  }
}
