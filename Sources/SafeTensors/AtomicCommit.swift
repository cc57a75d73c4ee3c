// Several outputs of one run land together or not at all: a pruned checkpoint without its
// report, or a report describing a checkpoint that was never written, is a half-written
// result. Each output is complete under its temporary name before the first rename; a rename
// that fails puts back what the earlier ones replaced. (A staged folder, such as a sharded
// model, joins by the same steps: complete under a temporary name, then renamed into place.)

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Renames staged outputs into place together.
public enum AtomicCommit {
  /// Seals every file, then renames each onto its destination, in order.
  ///
  /// Before the renames, each destination is checked again (still absent or a regular
  /// file), and each existing one is kept under a temporary name (a hard link) until every
  /// rename has succeeded: if one fails, the destinations renamed before it get their
  /// previous files back (or are removed, if they had none), and every temporary file is
  /// removed. Where the file system has no hard links, a destination replaced before the
  /// failing rename cannot be put back. Finally, the folders are synced (when the files
  /// sync to disk) so that the renames survive a crash.
  ///
  /// - Parameter files: Staged files with distinct destinations.
  /// - Throws: The first error: from sealing (``SafeTensorsError/cannotWrite(path:errno:)``),
  ///   the check (``SafeTensorsError/notRegularDestination(path:kind:)``), the rename
  ///   (``SafeTensorsError/cannotReplace(path:errno:)``), all of which leave every
  ///   destination as it was; or ``SafeTensorsError/cannotSyncDirectory(path:errno:)``,
  ///   when the files are in place but a folder could not be synced.
  public static func commit(_ files: [StagedFile]) throws(SafeTensorsError) {
    var backups = [Backup]()
    defer { for case .kept(let backup) in backups { SystemCalls.removeFile(backup) } }
    do {
      for file in files { try file.seal() }
      for file in files { try StagedFile.checkDestination(file.destination) }
      for file in files { backups.append(keep(file.destination)) }
    } catch {
      for file in files { file.discard() }
      throw error
    }
    for (index, file) in files.enumerated() {
      do {
        try SystemCalls.renameFile(file.temporaryPath, to: file.destination)
        file.markCommitted()
      } catch {
        for earlier in (0 ..< index).reversed() {
          putBack(files[earlier].destination, from: backups[earlier])
          backups[earlier] = .none
        }
        for file in files { file.discard() }
        throw .cannotReplace(path: file.destination, errno: error.code)
      }
    }
    var synced = Set<String>()
    for file in files where file.syncsToDisk {
      let directory = TemporaryName(destination: file.destination).directory
      if synced.insert(directory).inserted {
        try syncDirectory(directory, destination: file.destination)
      }
    }
  }

  /// What a destination held before the commit.
  private enum Backup {
    /// Nothing: undoing the rename removes the new file.
    case absent
    /// A file, now also under this temporary name.
    case kept(String)
    /// A file that could not be kept (or whose rename was undone already).
    case none
  }

  /// Keeps the file at `destination` under a second, temporary name.
  private static func keep(_ destination: String) -> Backup {
    guard (try? SystemCalls.linkStatus(destination)) != nil else { return .absent }
    let backup = TemporaryName(destination: destination).make()
    do {
      try SystemCalls.linkFile(destination, to: backup)
      return .kept(backup)
    } catch {
      return .none
    }
  }

  /// Undoes a rename onto `destination`: the kept file goes back, or, when there was none,
  /// the new file is removed.
  private static func putBack(_ destination: String, from backup: Backup) {
    switch backup {
    case .kept(let path): try? SystemCalls.renameFile(path, to: destination)
    case .absent: SystemCalls.removeFile(destination)
    case .none: break
    }
  }

  /// Flushes `directory`, so that a rename into it survives a crash.
  private static func syncDirectory(_ directory: String, destination: String)
    throws(SafeTensorsError)
  {
    do {
      let directoryFD = try SystemCalls.openFile(directory, flags: O_RDONLY | O_DIRECTORY)
      defer { try? SystemCalls.closeFile(directoryFD) }
      do {
        try SystemCalls.syncFile(directoryFD)
      } catch where error.code == EINVAL || error.code == ENOTSUP {
        // Some file systems cannot sync directories; the rename is as durable as they allow.
      }
    } catch {
      throw .cannotSyncDirectory(path: destination, errno: error.code)
    }
  }
}
