#if canImport(Glibc)
  import Glibc
#endif
import SafeTensors

/// An output folder that appears whole or not at all: it is built in a temporary folder next
/// to the destination, named as ``TemporaryName`` names every unfinished output
/// (`.<name>.bonsai-tmp-<pid>-<16 hex digits>`), and renamed into place by ``commit()``.
/// While it is built it holds an empty file, ``inProgressMarker``: only a folder named by
/// that exact pattern, of this user, whose writer no longer runs and which holds the marker
/// is taken for the leftover of a killed run (``removeLeftovers(of:)``); nothing else is
/// ever removed.
///
/// An existing destination is refused unless `replacing`; then `commit()` swaps the new
/// folder and the old one in one step (`renameat2` with `RENAME_EXCHANGE`), so that the
/// destination's name always names a complete folder, old or new, and removes the old one
/// afterwards. A run killed before the swap leaves the destination untouched; one killed
/// in the instant after it leaves the old folder under the temporary name, without the
/// marker, which is then never removed for you.
///
/// On ``abandon()``, or when released before ``commit()``, the temporary folder is removed.
public final class FolderOutput {
  /// The empty file that marks a folder as one being built by Bonsai.
  public static let inProgressMarker = ".bonsai-output-in-progress"

  /// Where the folder goes.
  public let destination: String
  /// The folder being built; write into it with ``path(of:)``.
  public let temporaryPath: String
  /// The folder that holds the destination.
  private let parent: String
  private let replacing: Bool
  private let syncsToDisk: Bool
  private var isOpen = true

  /// Creates the temporary folder next to `destination`.
  ///
  /// - Parameters:
  ///   - destination: The output folder's path; its parent folder must exist.
  ///   - replacing: Whether an existing destination is replaced; if not, it is an error.
  ///   - syncsToDisk: Whether files and folders are flushed to disk before the rename (a
  ///     crash or kill never leaves a partial folder either way; a power loss might without).
  /// - Throws: ``ModelFolderError/destinationExists(path:)``, or ``ModelFolderError/io(path:action:errno:)``
  ///   when the temporary folder cannot be created.
  public init(destination: String, replacing: Bool, syncsToDisk: Bool) throws(ModelFolderError) {
    var trimmed = destination
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    if !replacing && FolderCalls.exists(trimmed) { throw .destinationExists(path: trimmed) }
    let slash = trimmed.lastIndex(of: "/")
    let parentPath = slash.map { String(trimmed[..<$0]) } ?? "."
    let parent = parentPath.isEmpty ? "/" : parentPath
    let name = TemporaryName(destination: trimmed)
    var attempts = 0
    while true {
      let candidate = name.make()
      do {
        try FolderCalls.makeFolder(candidate)
        temporaryPath = candidate
        break
      } catch .io(_, _, EEXIST) where attempts < 16 {
        attempts += 1
      } catch .io(_, _, let code) {
        throw .io(path: trimmed, action: "create a temporary folder beside it", errno: code)
      } catch {
        throw error
      }
    }
    do {
      try FolderCalls.write([], to: ModelFolder.join(temporaryPath, Self.inProgressMarker), sync: false)
    } catch {
      FolderCalls.removeTree(temporaryPath)
      throw error
    }
    self.destination = trimmed
    self.parent = parent
    self.replacing = replacing
    self.syncsToDisk = syncsToDisk
  }

  deinit {
    if isOpen { FolderCalls.removeTree(temporaryPath) }
  }

  /// The path of `name` (a file or sub-folder name, or a relative path) inside the folder
  /// being built.
  public func path(of name: String) -> String {
    ModelFolder.join(temporaryPath, name)
  }

  /// Writes a new file `name` into the folder.
  public func write(_ bytes: [UInt8], as name: String) throws(ModelFolderError) {
    try FolderCalls.write(bytes, to: path(of: name), sync: syncsToDisk)
  }

  /// Puts the file at `path`, written elsewhere on the same file system (by another process,
  /// say), into the folder as `name` without copying it: a second name of the same file (a
  /// hard link), so that it keeps its first name until the caller removes that, after
  /// ``commit()`` — should the folder be abandoned, the file is where it was.
  ///
  /// - Throws: ``ModelFolderError/io(path:action:errno:)`` when there is no such file, or
  ///   it is on another file system.
  public func link(_ path: String, as name: String) throws(ModelFolderError) {
    try FolderCalls.link(path, to: self.path(of: name))
  }

  /// Copies the entry `name` of `folder` (a file, or a folder with everything in it,
  /// following symbolic links) into the folder under the same name, byte for byte, except
  /// the paths (relative to `folder`) in `skipped`.
  public func copy(_ name: String, from folder: String, skipping skipped: Set<String> = [])
    throws(ModelFolderError)
  {
    try copyTree(folder, name, skipping: skipped)
  }

  private func copyTree(_ folder: String, _ relative: String, skipping skipped: Set<String>)
    throws(ModelFolderError)
  {
    let source = ModelFolder.join(folder, relative)
    let target = path(of: relative)
    switch FolderCalls.kind(of: source) {
    case .folder:
      try FolderCalls.makeFolder(target)
      for name in try FolderCalls.entries(of: source) where !skipped.contains(relative + "/" + name) {
        try copyTree(folder, relative + "/" + name, skipping: skipped)
      }
      if syncsToDisk { try FolderCalls.syncFolder(target) }
    case .file:
      try FolderCalls.copyFile(source, to: target, sync: syncsToDisk)
    case .missing:
      throw .io(path: source, action: "copy it (a dangling link?)", errno: ENOENT)
    case .other:
      throw .io(path: source, action: "copy it: not a file or folder", errno: EINVAL)
    }
  }

  /// Renames the folder into place (replacing the destination when asked to, and removing
  /// the old one) and syncs the parent folder.
  ///
  /// - Throws: ``ModelFolderError/destinationExists(path:)`` when the destination appeared
  ///   meanwhile and replacing was not asked for, or an I/O error before the rename; either
  ///   way the temporary folder is removed and the destination untouched. An error syncing
  ///   the parent folder after the rename is thrown too, the new folder being in place.
  public func commit() throws(ModelFolderError) {
    precondition(isOpen, "FolderOutput.commit() after commit or abandon")
    isOpen = false
    do throws(ModelFolderError) {
      try FolderCalls.remove(ModelFolder.join(temporaryPath, Self.inProgressMarker))
      if syncsToDisk { try FolderCalls.syncFolder(temporaryPath) }
      do throws(ModelFolderError) {
        if replacing && FolderCalls.exists(destination) {
          try FolderCalls.exchange(temporaryPath, with: destination)
        } else {
          try FolderCalls.renameNoReplace(temporaryPath, to: destination)
        }
      } catch .io(_, _, ENOENT) where replacing {
        // The old destination went away meanwhile: nothing left to replace.
        try FolderCalls.renameNoReplace(temporaryPath, to: destination)
      } catch .io(_, _, EEXIST) {
        throw .destinationExists(path: destination)
      }
    } catch {
      FolderCalls.removeTree(temporaryPath)
      throw error
    }
    // After an exchange the temporary name holds the old destination.
    FolderCalls.removeTree(temporaryPath)
    if syncsToDisk { try FolderCalls.syncFolder(parent) }
  }

  /// Removes the folder being built; the destination is untouched. Does nothing after
  /// ``commit()``.
  public func abandon() {
    if isOpen {
      isOpen = false
      FolderCalls.removeTree(temporaryPath)
    }
  }
}

extension FolderOutput {
  /// Removes the folders that killed runs building `destination` left: folders of this
  /// user named exactly as ``TemporaryName`` names them, whose writer no longer runs and
  /// which hold ``inProgressMarker``.
  /// - Returns: Each leftover and, when it could not be removed whole, why (`errno`).
  public static func removeLeftovers(of destination: String) -> [(path: String, errno: Int32?)] {
    var trimmed = destination
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    return TemporaryName(destination: trimmed).leftovers(ofKind: S_IFDIR).compactMap { path in
      var status = stat()
      let marker = ModelFolder.join(path, inProgressMarker)
      guard lstat(marker, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
      FolderCalls.removeTree(path)
      return (path, FolderCalls.exists(path) ? EACCES : nil)
    }
  }
}

@available(*, unavailable, message: "an output folder is built by one task at a time")
extension FolderOutput: Sendable {}
