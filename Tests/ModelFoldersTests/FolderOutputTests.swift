import Foundation
import ModelFolders
import SafeTensors
import TestSupport
import Testing

@Suite("Writing folders atomically")
struct FolderOutputTests {
  func contents(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
  }

  @Test("built beside the destination, renamed into place whole; the source copied byte for byte")
  func commit() throws {
    let directory = try TemporaryDirectory()
    let source = directory.file("source")
    try FileManager.default.createDirectory(atPath: source + "/sub/deeper", withIntermediateDirectories: true)
    try Data("tokens".utf8).write(to: URL(fileURLWithPath: source + "/sub/deeper/t.json"))
    try FileManager.default.createSymbolicLink(atPath: source + "/link.json", withDestinationPath: "sub/deeper/t.json")
    let output = try FolderOutput(destination: directory.file("out"), replacing: false, syncsToDisk: true)
    try Data("weights".utf8).write(to: URL(fileURLWithPath: source + "/sub/deeper/w.pth"))
    try output.copy("sub", from: source, skipping: ["sub/deeper/w.pth"])
    try output.copy("link.json", from: source)
    try output.write(Array("{}".utf8), as: "index.json")
    #expect(try directory.entries().count == 2, "the source and the temporary folder")
    #expect(!FileManager.default.fileExists(atPath: directory.file("out")))
    try output.commit()
    #expect(try directory.entries() == ["out", "source"])
    #expect(try contents(directory.file("out/sub/deeper/t.json")) == "tokens")
    #expect(!FileManager.default.fileExists(atPath: directory.file("out/sub/deeper/w.pth")))
    #expect(try contents(directory.file("out/link.json")) == "tokens", "links are followed")
    #expect(try contents(directory.file("out/index.json")) == "{}")
  }

  @Test("an existing destination is refused, or swapped out whole and removed when replacing")
  func replacing() throws {
    let directory = try TemporaryDirectory()
    let destination = directory.file("out")
    try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
    try Data("old".utf8).write(to: URL(fileURLWithPath: destination + "/old.txt"))
    #expect(throws: ModelFolderError.destinationExists(path: destination)) {
      _ = try FolderOutput(destination: destination, replacing: false, syncsToDisk: false)
    }
    let output = try FolderOutput(destination: destination + "/", replacing: true, syncsToDisk: false)
    try output.write(Array("new".utf8), as: "new.txt")
    try output.commit()
    #expect(try directory.entries() == ["out"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["new.txt"])
  }

  @Test("a destination whose folder does not exist: the error names the destination")
  func missingParent() throws {
    let directory = try TemporaryDirectory()
    let destination = directory.file("absent/out")
    #expect(throws: ModelFolderError.io(path: destination, action: "create a temporary folder beside it", errno: ENOENT)) {
      _ = try FolderOutput(destination: destination, replacing: false, syncsToDisk: false)
    }
  }

  @Test("abandoned or released: nothing left, the destination untouched")
  func abandon() throws {
    let directory = try TemporaryDirectory()
    let output = try FolderOutput(destination: directory.file("out"), replacing: false, syncsToDisk: false)
    try output.write(Array("x".utf8), as: "x")
    output.abandon()
    #expect(try directory.entries().isEmpty)
    do {
      let released = try FolderOutput(destination: directory.file("out"), replacing: false, syncsToDisk: false)
      try released.write(Array("x".utf8), as: "x")
    }
    #expect(try directory.entries().isEmpty)
  }

  @Test("the temporary folder is named as every unfinished output is, and marked as Bonsai's")
  func leftoverNaming() throws {
    let directory = try TemporaryDirectory()
    let output = try FolderOutput(destination: directory.file("out"), replacing: false, syncsToDisk: false)
    let name = URL(fileURLWithPath: output.temporaryPath).lastPathComponent
    #expect(name.hasPrefix(".out\(TemporaryName.marker)\(getpid())-"))
    #expect(FileManager.default.fileExists(atPath: output.path(of: FolderOutput.inProgressMarker)))
    // This process still runs, so its folder is not a leftover.
    #expect(FolderOutput.removeLeftovers(of: directory.file("out")).isEmpty)
    #expect(FileManager.default.fileExists(atPath: output.temporaryPath))
    output.abandon()
  }

  @Test("only marked folders of dead writers, named exactly, are removed as leftovers")
  func leftoverRemoval() throws {
    let directory = try TemporaryDirectory()
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let pid = finished.processIdentifier
    let marked = ".out\(TemporaryName.marker)\(pid)-0123456789abcdef"
    let unmarked = ".out\(TemporaryName.marker)\(pid)-fedcba9876543210"
    let misnamed = ".out\(TemporaryName.marker)\(pid)-1a2b"
    for folder in [marked, unmarked, misnamed] {
      try FileManager.default.createDirectory(
        atPath: directory.file(folder + "/inner"), withIntermediateDirectories: true)
      try Data("x".utf8).write(to: URL(fileURLWithPath: directory.file(folder + "/inner/precious")))
    }
    for folder in [marked, misnamed] {
      try Data().write(
        to: URL(fileURLWithPath: directory.file(folder + "/" + FolderOutput.inProgressMarker)))
    }
    let removed = FolderOutput.removeLeftovers(of: directory.file("out"))
    #expect(removed.map(\.path) == [directory.file(marked)] && removed.allSatisfy { $0.errno == nil })
    #expect(try directory.entries().sorted() == [misnamed, unmarked].sorted())
  }
}
