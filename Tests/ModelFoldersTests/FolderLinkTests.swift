// What a pruned copy of a model folder carries over: files and folders only, links that stay
// inside the model (the Hugging Face cache's links into its `blobs/` included), the sources'
// permission bits; and the old folder a replacement swaps out is marked, so that it is
// removed even when the run that swapped it could not.

import Foundation
import ModelFolders
import SafeTensors
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("model folders: links, special files and permissions in what is copied")
struct FolderLinkTests {
  let manager = FileManager.default

  /// A one-file model folder at `path` with `tokenizer.json` and `extra/notes.txt`.
  func model(_ path: String) throws {
    try ModelFolderFixture(layers: 1).writeFolder(path, shards: 1)
    try manager.createDirectory(atPath: path + "/extra", withIntermediateDirectories: false)
    try Data("notes".utf8).write(to: URL(fileURLWithPath: path + "/extra/notes.txt"))
  }

  func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  func link(_ path: String, to target: String) throws {
    try manager.createSymbolicLink(atPath: path, withDestinationPath: target)
  }

  func checkCopies(_ path: String) throws(ModelFolderError) {
    try ModelFolder(path: path).checkCopies()
  }

  @Test func linksInsideTheFolderAreCopiedAsFiles() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("m")
    try model(path)
    try link(path + "/notes-again.txt", to: "extra/notes.txt")
    try link(path + "/extra/tokenizer-again.json", to: "../tokenizer.json")
    try link(path + "/extra-again", to: "extra")
    try checkCopies(path)
  }

  @Test func aLinkLeavingTheFolderIsRefusedByName() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("m")
    try model(path)
    try write("-----BEGIN PRIVATE KEY-----", to: directory.file("id_rsa"))
    try manager.createDirectory(atPath: directory.file("elsewhere"), withIntermediateDirectories: false)
    let cases = [
      ("notes.txt", directory.file("id_rsa")),
      ("extra/key", "../../id_rsa"),
      ("more", directory.file("elsewhere")),
    ]
    for (name, target) in cases {
      try link(path + "/" + name, to: target)
      #expect {
        try checkCopies(path)
      } throws: { error in
        guard case .linkLeavesModel(let link, _) = error as? ModelFolderError else { return false }
        return link == path + "/" + name
      }
      try manager.removeItem(atPath: path + "/" + name)
    }
    try checkCopies(path)
  }

  @Test func specialFilesAndDanglingLinksAreRefused() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("m")
    try model(path)
    #expect(mkfifo(path + "/extra/pipe", 0o600) == 0)
    #expect(throws: ModelFolderError.notCopiable(path: path + "/extra/pipe", kind: "a FIFO")) {
      try checkCopies(path)
    }
    try manager.removeItem(atPath: path + "/extra/pipe")
    try link(path + "/gone.json", to: "nothing-here.json")
    #expect(throws: ModelFolderError.notCopiable(path: path + "/gone.json", kind: "a dangling link")) {
      try checkCopies(path)
    }
  }

  @Test func aCacheSnapshotMayLinkIntoItsBlobsOnly() throws {
    let directory = try TemporaryDirectory()
    let repository = directory.file("models--org--name")
    let snapshot = repository + "/snapshots/abc123"
    try model(directory.file("plain"))
    try manager.createDirectory(atPath: repository + "/blobs", withIntermediateDirectories: true)
    try manager.createDirectory(atPath: snapshot + "/extra", withIntermediateDirectories: true)
    for (index, name) in ["model.safetensors", "config.json", "tokenizer.json", "extra/notes.txt"].enumerated() {
      try manager.moveItem(atPath: directory.file("plain/" + name), toPath: repository + "/blobs/\(index)")
      let up = name.contains("/") ? "../../../" : "../../"
      try link(snapshot + "/" + name, to: up + "blobs/\(index)")
    }
    try checkCopies(snapshot)
    try write("secret", to: repository + "/refs-secret")
    try link(snapshot + "/stray", to: "../../refs-secret")
    #expect(throws: ModelFolderError.linkLeavesModel(link: snapshot + "/stray", target: repository + "/refs-secret")) {
      try checkCopies(snapshot)
    }
    try manager.removeItem(atPath: snapshot + "/stray")
    // The same links from a folder that is not a cache snapshot leave it.
    try manager.moveItem(atPath: repository + "/snapshots", toPath: repository + "/versions")
    #expect(throws: ModelFolderError.self) {
      try checkCopies(repository + "/versions/abc123")
    }
  }

  /// The process's umask, read without changing it (from `/proc/self/status`).
  func umask() throws -> mode_t {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
    return try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
  }

  /// The permission bits of `path`.
  func permissions(_ path: String) -> mode_t {
    var status = stat()
    #expect(stat(path, &status) == 0)
    return status.st_mode & 0o777
  }

  @Test func copiesKeepTheirSourcesPermissions() throws {
    let directory = try TemporaryDirectory()
    let source = directory.file("m")
    try model(source)
    #expect(chmod(source + "/tokenizer.json", 0o600) == 0)
    #expect(chmod(source + "/config.json", 0o640) == 0)
    #expect(chmod(source + "/extra/notes.txt", 0o400) == 0)
    try manager.createDirectory(atPath: source + "/extra/deeper", withIntermediateDirectories: false)
    #expect(chmod(source + "/extra/deeper", 0o750) == 0)
    #expect(chmod(source + "/extra", 0o500) == 0)
    #expect(chmod(source, 0o700) == 0)
    let output = try FolderOutput(
      destination: directory.file("out"), replacing: false, syncsToDisk: false, permissionsOf: source)
    for name in ["tokenizer.json", "extra"] { try output.copy(name, from: source) }
    try output.write(Array("{}".utf8), as: "config.json", permissionsOf: source + "/config.json")
    try output.write(Array("{}".utf8), as: "new.json")
    try output.commit()
    let out = directory.file("out")
    let mask = try umask()
    #expect(permissions(out) == 0o700 & ~mask)
    #expect(permissions(out + "/tokenizer.json") == 0o600 & ~mask)
    #expect(permissions(out + "/config.json") == 0o640 & ~mask)
    #expect(permissions(out + "/extra") == 0o500 & ~mask)
    #expect(permissions(out + "/extra/notes.txt") == 0o400 & ~mask)
    #expect(permissions(out + "/extra/deeper") == 0o750 & ~mask)
    #expect(permissions(out + "/new.json") == 0o666 & ~mask)
    // A read-only copy is still replaced whole.
    let next = try FolderOutput(destination: out, replacing: true, syncsToDisk: false)
    try next.copy("tokenizer.json", from: source)
    #expect(try next.commit() == nil)
    #expect(manager.fileExists(atPath: out) && !manager.fileExists(atPath: out + "/extra"))
    #expect(try directory.entries() == ["m", "out"])
  }

  @Test func aReplacedFolderThatCannotBeRemovedIsMarkedAndSaid() throws {
    let directory = try TemporaryDirectory()
    let out = directory.file("out")
    try manager.createDirectory(atPath: out + "/inner", withIntermediateDirectories: true)
    try write("old", to: out + "/inner/stuck")
    guard Self.pin(out + "/inner/stuck") else {
      print("SKIPPED aReplacedFolderThatCannotBeRemovedIsMarkedAndSaid: chattr +i is not available (needs root and ext4)")
      return
    }
    let output = try FolderOutput(destination: out, replacing: true, syncsToDisk: false)
    try output.write(Array("new".utf8), as: "new.txt")
    let committed = try output.commit()
    defer { if let committed { Self.unpin(committed.path + "/inner/stuck") } }
    let leftover = try #require(committed)
    #expect(leftover.isMarked)
    #expect(try contents(out + "/new.txt") == "new")
    #expect(manager.fileExists(atPath: leftover.path + "/" + FolderOutput.replacedMarker))
    #expect(try contents(leftover.path + "/inner/stuck") == "old")
  }

  @Test func aMarkedReplacedFolderOfAKilledRunIsRemovedAndAnUnmarkedOneKept() throws {
    let directory = try TemporaryDirectory()
    let pid = try deadProcessID()
    let marked = ".out\(TemporaryName.marker)\(pid)-0123456789abcdef"
    let unmarked = ".out\(TemporaryName.marker)\(pid)-fedcba9876543210"
    for folder in [marked, unmarked] {
      try manager.createDirectory(atPath: directory.file(folder + "/inner"), withIntermediateDirectories: true)
      try write("old", to: directory.file(folder + "/inner/model.safetensors"))
    }
    try write("", to: directory.file(marked + "/" + FolderOutput.replacedMarker))
    let removed = FolderOutput.removeLeftovers(of: directory.file("out"))
    #expect(removed.map(\.path) == [directory.file(marked)] && removed.allSatisfy { $0.errno == nil })
    #expect(try directory.entries() == [unmarked])
  }

  @Test func aLeftoverThatCannotBeRemovedWholeKeepsItsMarker() throws {
    let directory = try TemporaryDirectory()
    let pid = try deadProcessID()
    let folder = directory.file(".out\(TemporaryName.marker)\(pid)-0123456789abcdef")
    try manager.createDirectory(atPath: folder + "/a", withIntermediateDirectories: true)
    try write("x", to: folder + "/a/stuck")
    try write("y", to: folder + "/b")
    try write("", to: folder + "/" + FolderOutput.replacedMarker)
    guard Self.pin(folder + "/a/stuck") else {
      print("SKIPPED aLeftoverThatCannotBeRemovedWholeKeepsItsMarker: chattr +i is not available (needs root and ext4)")
      return
    }
    let first = FolderOutput.removeLeftovers(of: directory.file("out"))
    #expect(first.map(\.path) == [folder] && first[0].errno != nil)
    #expect(manager.fileExists(atPath: folder + "/" + FolderOutput.replacedMarker))
    #expect(!manager.fileExists(atPath: folder + "/b"))
    #expect(Self.unpin(folder + "/a/stuck"))
    let second = FolderOutput.removeLeftovers(of: directory.file("out"))
    #expect(second.map(\.path) == [folder] && second[0].errno == nil)
    #expect(try directory.entries().isEmpty)
  }

  func contents(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
  }

  /// Makes the file at `path` immutable (`chattr +i`: not even root may remove it), so that
  /// the folder holding it cannot be removed; false when the system does not allow it.
  static func pin(_ path: String) -> Bool {
    chattr("+i", path)
  }

  /// Undoes ``pin(_:)``.
  @discardableResult
  static func unpin(_ path: String) -> Bool {
    chattr("-i", path)
  }

  private static func chattr(_ flag: String, _ path: String) -> Bool {
    guard let result = try? ChildProcess.run("/usr/bin/chattr", [flag, path]) else { return false }
    return result.status == 0
  }
}
