// The removal a signal makes of the output folder being built (CSignalCleanup), called
// directly: everything inside goes, links themselves and never what they point to, and
// only a folder that holds the marker.

import CSignalCleanup
import Foundation
import ModelFolders
import Testing
import TestSupport

@Suite("the output folder a signal removes")
struct FolderCleanupTests {
  let manager = FileManager.default

  /// A folder being built: the marker, a shard, nested sub-folders, and links to a file
  /// and a folder outside it.
  func makeTree(in directory: TemporaryDirectory, marked: Bool = true) throws -> String {
    let root = directory.file("building")
    try manager.createDirectory(atPath: root + "/sub/nested", withIntermediateDirectories: true)
    if marked { try Data().write(to: URL(fileURLWithPath: root + "/" + FolderOutput.inProgressMarker)) }
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: root + "/model.safetensors"))
    try Data([4]).write(to: URL(fileURLWithPath: root + "/sub/nested/deep.txt"))
    try manager.createDirectory(atPath: directory.file("outside"), withIntermediateDirectories: false)
    try Data([5]).write(to: URL(fileURLWithPath: directory.file("outside/keep.txt")))
    try Data([6]).write(to: URL(fileURLWithPath: directory.file("keep.txt")))
    try manager.createSymbolicLink(atPath: root + "/to-folder", withDestinationPath: directory.file("outside"))
    try manager.createSymbolicLink(atPath: root + "/sub/to-file", withDestinationPath: directory.file("keep.txt"))
    return root
  }

  /// What must survive whatever happens to the tree.
  func outsideIsIntact(_ directory: TemporaryDirectory) -> Bool {
    manager.contents(atPath: directory.file("outside/keep.txt")) == Data([5])
      && manager.contents(atPath: directory.file("keep.txt")) == Data([6])
  }

  @Test func aMarkedFolderGoesWithEverythingInItButNotWhatItsLinksName() throws {
    let directory = try TemporaryDirectory()
    let root = try makeTree(in: directory)
    #expect(bonsai_cleanup_remove_marked_folder(root, FolderOutput.inProgressMarker) == 0)
    #expect(!manager.fileExists(atPath: root))
    #expect(outsideIsIntact(directory))
  }

  @Test func aFolderWithoutTheMarkerIsLeftWhole() throws {
    let directory = try TemporaryDirectory()
    let root = try makeTree(in: directory, marked: false)
    #expect(bonsai_cleanup_remove_marked_folder(root, FolderOutput.inProgressMarker) == -1)
    #expect(manager.contents(atPath: root + "/sub/nested/deep.txt") == Data([4]))
    #expect(manager.contents(atPath: root + "/model.safetensors") == Data([1, 2, 3]))
    #expect(outsideIsIntact(directory))
  }

  @Test func aLinkToAMarkedFolderIsNotFollowed() throws {
    let directory = try TemporaryDirectory()
    let root = try makeTree(in: directory)
    let link = directory.file("link")
    try manager.createSymbolicLink(atPath: link, withDestinationPath: root)
    #expect(bonsai_cleanup_remove_marked_folder(link, FolderOutput.inProgressMarker) == -1)
    #expect(manager.contents(atPath: root + "/model.safetensors") == Data([1, 2, 3]))
  }

  /// A folder that cannot be emptied keeps its marker, so that the next run still takes it
  /// for a leftover and removes it.
  @Test func foldersNestedTooDeepAreLeftWithTheFoldersAboveThemAndTheMarker() throws {
    let directory = try TemporaryDirectory()
    let root = try makeTree(in: directory)
    let deepest = root + String(repeating: "/d", count: 40)
    try manager.createDirectory(atPath: deepest, withIntermediateDirectories: true)
    try Data([7]).write(to: URL(fileURLWithPath: deepest + "/file"))
    #expect(bonsai_cleanup_remove_marked_folder(root, FolderOutput.inProgressMarker) == -1)
    #expect(manager.contents(atPath: deepest + "/file") == Data([7]))
    #expect(manager.fileExists(atPath: root + "/" + FolderOutput.inProgressMarker))
    #expect(outsideIsIntact(directory))
  }

  @Test func aMarkerThatIsALinkIsNoMarker() throws {
    let directory = try TemporaryDirectory()
    let root = try makeTree(in: directory, marked: false)
    try manager.createSymbolicLink(
      atPath: root + "/" + FolderOutput.inProgressMarker, withDestinationPath: directory.file("keep.txt"))
    #expect(bonsai_cleanup_remove_marked_folder(root, FolderOutput.inProgressMarker) == -1)
    #expect(manager.contents(atPath: root + "/model.safetensors") == Data([1, 2, 3]))
  }

  @Test func manyEntriesAreAllRemoved() throws {
    let directory = try TemporaryDirectory()
    let root = try makeTree(in: directory)
    // More entries than one read of the folder returns.
    for index in 0 ..< 500 {
      try Data([UInt8(index & 0xFF)]).write(
        to: URL(fileURLWithPath: root + "/file-with-a-long-name-\(index).json"))
    }
    #expect(bonsai_cleanup_remove_marked_folder(root, FolderOutput.inProgressMarker) == 0)
    #expect(!manager.fileExists(atPath: root))
    #expect(outsideIsIntact(directory))
  }
}
