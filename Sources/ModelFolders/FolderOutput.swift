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
/// afterwards. Just before the swap the old folder gets an empty file, ``replacedMarker``,
/// so that after it the old folder under the temporary name is known for what it is: a run
/// killed in the instant after the swap leaves it to the next run, which removes it as it
/// removes a half-built one. A run killed before the swap leaves the destination untouched
/// (at worst holding that marker, which marks nothing outside a temporary name).
///
/// The folder and what is copied into it take the permission bits of their sources less the
/// umask (as `cp -r` gives them): a `0700` model folder gives a `0700` output, a `0600` file
/// a `0600` copy, never a wider one. Folders get theirs just before the rename, so that they
/// stay writable while the folder is built.
///
/// On ``abandon()``, or when released before ``commit()``, the temporary folder is removed.
public final class FolderOutput {
  /// The empty file that marks a folder as one being built by Bonsai.
  public static let inProgressMarker = ".bonsai-output-in-progress"
  /// The empty file that marks a folder as the output a ``commit()`` replaced, to be removed.
  public static let replacedMarker = ".bonsai-output-replaced"

  /// Where the folder goes.
  public let destination: String
  /// The folder being built; write into it with ``path(of:)``.
  public let temporaryPath: String
  /// The folder that holds the destination.
  private let parent: String
  private let replacing: Bool
  private let syncsToDisk: Bool
  private var isOpen = true
  /// The folders built and the permission bits they get before the rename, innermost first
  /// (a folder made unreadable before its sub-folders would hide them), the folder itself
  /// last.
  private var folderPermissions = [(path: String, mode: mode_t)]()
  /// The permission bits the folder itself gets before the rename.
  private var ownPermissions: mode_t?

  /// Creates the temporary folder next to `destination`.
  ///
  /// - Parameters:
  ///   - destination: The output folder's path; its parent folder must exist.
  ///   - replacing: Whether an existing destination is replaced; if not, it is an error.
  ///   - syncsToDisk: Whether files and folders are flushed to disk before the rename (a
  ///     crash or kill never leaves a partial folder either way; a power loss might without).
  ///   - source: The folder whose permission bits the output takes, less the umask (the
  ///     model folder it is made from); nil for `0777` less the umask.
  /// - Throws: ``ModelFolderError/destinationExists(path:)``, or ``ModelFolderError/io(path:action:errno:)``
  ///   when the temporary folder cannot be created.
  public init(
    destination: String, replacing: Bool, syncsToDisk: Bool, permissionsOf source: String? = nil
  ) throws(ModelFolderError) {
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
    if let mode = source.flatMap(FolderCalls.permissions(of:)),
      let made = FolderCalls.permissions(of: temporaryPath)
    {
      ownPermissions = made & mode
    }
  }

  deinit {
    if isOpen { FolderCalls.removeTree(temporaryPath) }
  }

  /// The path of `name` (a file or sub-folder name, or a relative path) inside the folder
  /// being built.
  public func path(of name: String) -> String {
    ModelFolder.join(temporaryPath, name)
  }

  /// Writes a new file `name` into the folder, with the permission bits of the file
  /// `source` (the file it is made from; nil: `0666`), less the umask.
  public func write(_ bytes: [UInt8], as name: String, permissionsOf source: String? = nil)
    throws(ModelFolderError)
  {
    try FolderCalls.write(
      bytes, to: path(of: name), sync: syncsToDisk,
      permissions: source.flatMap(FolderCalls.permissions(of:)) ?? 0o666)
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
  /// following symbolic links) into the folder under the same name, byte for byte and with
  /// its permission bits, except the paths (relative to `folder`) in `skipped`. Check the
  /// links first (``ModelFolder/checkCopies()``): this follows every one.
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
      // The bits of the folder just made (`0777` less the umask) that the source has too.
      if let mode = FolderCalls.permissions(of: source),
        let made = FolderCalls.permissions(of: target)
      {
        folderPermissions.append((target, made & mode))
      }
    case .file:
      try FolderCalls.copyFile(source, to: target, sync: syncsToDisk)
    case .missing:
      throw .io(path: source, action: "copy it (a dangling link?)", errno: ENOENT)
    case .other:
      throw .io(path: source, action: "copy it: not a file or folder", errno: EINVAL)
    }
  }

  /// What became of the folder a ``FolderOutput/commit()`` replaced, when it could not be
  /// removed whole: where it is now.
  public struct Leftover: Equatable, Sendable {
    /// The old folder's path now (a temporary name beside the destination).
    public let path: String
    /// Whether it holds ``FolderOutput/replacedMarker``, so that a later run removes it
    /// (``FolderOutput/removeLeftovers(of:)``) once what stopped this one is gone.
    public let isMarked: Bool
  }

  /// Renames the folder into place (replacing the destination when asked to, and removing
  /// the old one) and syncs the parent folder.
  ///
  /// - Returns: The old folder when it was replaced but could not be removed (a file of
  ///   another user in it, say), for the caller to tell the user; nil otherwise.
  /// - Throws: ``ModelFolderError/destinationExists(path:)`` when the destination appeared
  ///   meanwhile and replacing was not asked for, or an I/O error before the rename; either
  ///   way the temporary folder is removed and the destination untouched. An error syncing
  ///   the parent folder after the rename is thrown too, the new folder being in place.
  @discardableResult
  public func commit() throws(ModelFolderError) -> Leftover? {
    precondition(isOpen, "FolderOutput.commit() after commit or abandon")
    isOpen = false
    var marked = false
    do throws(ModelFolderError) {
      try FolderCalls.remove(ModelFolder.join(temporaryPath, Self.inProgressMarker))
      if syncsToDisk { try FolderCalls.syncFolder(temporaryPath) }
      for (path, mode) in folderPermissions + (ownPermissions.map { [(temporaryPath, $0)] } ?? []) {
        try FolderCalls.changePermissions(of: path, to: mode)
      }
      do throws(ModelFolderError) {
        if replacing && FolderCalls.exists(destination) {
          // Marked before the swap, so that no instant leaves the old folder unmarked under
          // a temporary name; an old folder Bonsai may not write to stays unmarked (and is
          // said to be left, below).
          let marker = ModelFolder.join(destination, Self.replacedMarker)
          marked = FolderCalls.kind(of: destination) == .folder
            && ((try? FolderCalls.write([], to: marker, sync: false)) != nil
              || FolderCalls.kind(of: marker) == .file)
          do throws(ModelFolderError) {
            try FolderCalls.exchange(temporaryPath, with: destination)
          } catch {
            if marked { try? FolderCalls.remove(marker) }
            marked = false
            throw error
          }
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
    FolderCalls.removeTree(temporaryPath, keepingToTheLast: marked ? Self.replacedMarker : nil)
    let leftover = FolderCalls.exists(temporaryPath)
      ? Leftover(
        path: temporaryPath,
        isMarked: FolderCalls.exists(ModelFolder.join(temporaryPath, Self.replacedMarker)))
      : nil
    if syncsToDisk { try FolderCalls.syncFolder(parent) }
    return leftover
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
  /// which hold ``inProgressMarker`` (a folder being built) or ``replacedMarker`` (the old
  /// folder a run replaced and was stopped before it removed). The marker goes last, so
  /// that a folder that cannot be removed whole is still known for a leftover next time.
  /// - Returns: Each leftover and, when it could not be removed whole, why (`errno`).
  public static func removeLeftovers(of destination: String) -> [(path: String, errno: Int32?)] {
    var trimmed = destination
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    return TemporaryName(destination: trimmed).leftovers(ofKind: S_IFDIR).compactMap { path in
      let marker = [inProgressMarker, replacedMarker].first { name in
        var status = stat()
        return lstat(ModelFolder.join(path, name), &status) == 0
          && status.st_mode & S_IFMT == S_IFREG
      }
      guard let marker else { return nil }
      FolderCalls.removeTree(path, keepingToTheLast: marker)
      return (path, FolderCalls.exists(path) ? EACCES : nil)
    }
  }
}

@available(*, unavailable, message: "an output folder is built by one task at a time")
extension FolderOutput: Sendable {}
