import Foundation
import SafeTensors
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("Staged files: temporary names, leftovers, destinations, committing together")
struct StagedFileTests {
  static let marker = TemporaryName.marker

  @Test("a destination with a 255-byte name gets a temporary name of at most 255 bytes")
  func longNames() throws {
    let directory = try TemporaryDirectory()
    for name in [String(repeating: "é", count: 127) + "x", String(repeating: "m", count: 252) + ".st"] {
      let path = directory.file(name)
      try writeTensors([], metadata: nil, to: path)
      #expect(try directory.entries() == [name])
      let file = try StagedFile(destination: path)
      let temporary = String(file.temporaryPath.split(separator: "/").last ?? "")
      #expect(temporary.utf8.count <= 255)
      #expect(temporary.hasPrefix("." + String(name.prefix(100))))
      #expect(String(decoding: temporary.utf8.suffix(17).prefix(1), as: UTF8.self) == "-")
      file.discard()
      try FileManager.default.removeItem(atPath: path)
    }
  }

  @Test("only regular files named exactly by the pattern, of dead writers, are leftovers")
  func leftovers() throws {
    let directory = try TemporaryDirectory()
    let dead = try deadProcessID()
    let exact = ".d.safetensors\(Self.marker)\(dead)-0123456789abcdef"
    let live = ".d.safetensors\(Self.marker)\(getpid())-0123456789abcdef"
    let notOurs = [
      ".d.safetensors\(Self.marker)\(dead)", ".d.safetensors\(Self.marker)\(dead)-nested",
      ".d.safetensors\(Self.marker)\(dead)-0123456789abcde",
      ".d.safetensors\(Self.marker)\(dead)-0123456789abcdef0",
      ".d.safetensors\(Self.marker)\(dead)-0123456789ABCDEF",
      ".d.safetensors\(Self.marker)x\(dead)-0123456789abcdef",
      ".e.safetensors\(Self.marker)\(dead)-0123456789abcdef",
    ]
    for name in [exact, live] + notOurs { try writeRaw([1], to: directory.file(name)) }
    let folder = ".d.safetensors\(Self.marker)\(dead)-fedcba9876543210"
    try FileManager.default.createDirectory(
      atPath: directory.file(folder + "/a"), withIntermediateDirectories: true)
    try writeRaw([2], to: directory.file(folder + "/a/precious"))
    let link = ".d.safetensors\(Self.marker)\(dead)-00000000000000aa"
    try FileManager.default.createSymbolicLink(
      atPath: directory.file(link), withDestinationPath: directory.file(live))

    let name = TemporaryName(destination: directory.file("d.safetensors"))
    #expect(name.leftovers() == [directory.file(exact)])
    let removed = name.removeLeftovers()
    #expect(removed.map(\.path) == [directory.file(exact)] && removed.allSatisfy { $0.errno == nil })
    #expect(try directory.entries() == ([live, folder, link] + notOurs).sorted())
    #expect(try readRaw(directory.file(folder + "/a/precious")) == [2])
  }

  @Test("symbolic links, devices, FIFOs and directories are refused as destinations")
  func nonRegularDestinations() throws {
    let directory = try TemporaryDirectory()
    try writeRaw([7], to: directory.file("target"))
    try FileManager.default.createSymbolicLink(
      atPath: directory.file("link"), withDestinationPath: directory.file("target"))
    #expect(mkfifo(directory.file("fifo"), 0o600) == 0)
    let cases = [
      ("/dev/null", "a character device"), (directory.file("link"), "a symbolic link"),
      (directory.file("fifo"), "a FIFO"), (directory.path, "a directory"),
      (directory.file("x/"), "a directory"),
    ]
    for (path, kind) in cases {
      #expect(throws: SafeTensorsError.notRegularDestination(path: path, kind: kind)) {
        _ = try StagedFile(destination: path)
      }
    }
    #expect(try directory.entries() == ["fifo", "link", "target"])
    #expect(try readRaw(directory.file("target")) == [7])
  }

  @Test("a replaced file keeps its permission bits")
  func modeIsKept() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("out.safetensors")
    try writeRaw([1], to: path)
    #expect(chmod(path, 0o640) == 0)
    try writeTensors([], metadata: nil, to: path)
    var status = stat()
    #expect(stat(path, &status) == 0)
    #expect(status.st_mode & 0o777 == 0o640)
  }

  @Test("files committed together: all land, or none when one destination cannot be replaced")
  func commitTogether() throws {
    let directory = try TemporaryDirectory()
    let first = directory.file("model.safetensors")
    let second = directory.file("report.json")
    try writeRaw(Array("previous".utf8), to: first)

    func stage(_ path: String, _ text: String) throws -> StagedFile {
      let file = try StagedFile(destination: path, syncsToDisk: false)
      try Array(text.utf8).withUnsafeBytes { try file.write($0) }
      return file
    }
    // The second destination turns into a directory after staging: nothing lands.
    let files = [try stage(first, "new model"), try stage(second, "new report")]
    try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: false)
    #expect(throws: SafeTensorsError.notRegularDestination(path: second, kind: "a directory")) {
      try AtomicCommit.commit(files)
    }
    #expect(try readRaw(first) == Array("previous".utf8))
    #expect(try directory.entries() == ["model.safetensors", "report.json"])

    try FileManager.default.removeItem(atPath: second)
    try AtomicCommit.commit([try stage(first, "new model"), try stage(second, "new report")])
    #expect(try readRaw(first) == Array("new model".utf8))
    #expect(try readRaw(second) == Array("new report".utf8))
    #expect(try directory.entries() == ["model.safetensors", "report.json"])
  }

  @Test("a rename that fails puts back the files the earlier renames replaced")
  func rollback() throws {
    let directory = try TemporaryDirectory()
    let first = directory.file("model.safetensors")
    let fresh = directory.file("fresh.json")
    try FileManager.default.createDirectory(atPath: directory.file("gone"), withIntermediateDirectories: false)
    let second = directory.file("gone/report.json")
    try writeRaw(Array("previous".utf8), to: first)
    let files = try [first, fresh, second].map { path in
      let file = try StagedFile(destination: path, syncsToDisk: false)
      try Array("new".utf8).withUnsafeBytes { try file.write($0) }
      return file
    }
    // The last destination's folder vanishes with its temporary file: its rename fails.
    try FileManager.default.removeItem(atPath: directory.file("gone"))
    #expect(throws: SafeTensorsError.cannotReplace(path: second, errno: ENOENT)) {
      try AtomicCommit.commit(files)
    }
    #expect(try readRaw(first) == Array("previous".utf8))
    #expect(try directory.entries() == ["model.safetensors"])
  }

  @Test("a file that shrinks after it is opened is reported before its bytes are read")
  func truncationIsDetected() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("in.safetensors")
    let header = TensorHeader(name: "w", dtype: .u8, shape: [100_000])
    try writeTensors([(header, Array(repeating: 1, count: 100_000))], metadata: nil, to: path)
    let file = try SafeTensorsFile(path: path)
    try file.checkNotTruncated()
    #expect(truncate(path, 4096) == 0)
    #expect(throws: SafeTensorsError.truncated(path: path, size: 4096, expected: file.fileSize)) {
      try file.checkNotTruncated()
    }
  }
}
