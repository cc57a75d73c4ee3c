import SafeTensors

#if canImport(Glibc)
  import Glibc
#endif

/// The files one run writes (the pruned checkpoint, the JSON and HTML reports, a folder's
/// shards), committed together: each is staged under a temporary name next to its
/// destination before the first byte of any is written, so that a destination that cannot
/// be written fails the run before it starts, and all are renamed into place at the end, or
/// none (``AtomicCommit``). A model folder is renamed into place just before the files
/// staged beside it (``FolderOutput``).
///
/// Staging a destination also removes the temporary files that killed runs left next to it,
/// saying so on stderr; a signal that stops the run removes the run's own (``SignalCleanup``).
/// Releasing the set before ``commit()`` removes them too.
final class OutputSet {
  private var files = [StagedFile]()
  private var registrations = [SignalCleanup.Registration]()
  /// Whether files are flushed to disk before they are renamed into place.
  let syncsToDisk: Bool

  /// An empty set.
  init(syncsToDisk: Bool) {
    self.syncsToDisk = syncsToDisk
  }

  deinit {
    for file in files { file.discard() }
    unregisterAll()
  }

  /// A new temporary file for `destination`, registered for removal on a signal; unless
  /// `removingLeftovers` is false, the temporary files of killed runs beside it are removed
  /// first (they are told by their writer's pid, which only this host can check: a file on
  /// a folder that other machines write into must not be reaped so). A file made from the
  /// file `source` (a pruned checkpoint or shard from its input) takes its permission bits.
  func stage(
    _ destination: String, removingLeftovers: Bool = true, permissionsOf source: String? = nil
  ) throws(CommandLineError) -> StagedFile {
    var registration = SignalCleanup.Registration()
    do {
      let file = try StagedFile(
        destination: destination, syncsToDisk: syncsToDisk,
        permissions: source.flatMap(StagedFile.permissions(of:)),
        announcing: { registration.register($0) })
      files.append(file)
      registrations.append(registration)
      if removingLeftovers { Self.removeLeftovers(of: destination) }
      return file
    } catch {
      registration.unregister()
      throw .failure("\(error)")
    }
  }

  /// Renames every staged file into place, or none. A termination signal that arrives
  /// meanwhile takes effect afterwards, when no temporary file is left to remove: it cannot
  /// land some outputs and not the others.
  func commit() throws(CommandLineError) {
    try SignalCleanup.holdingSignals { () throws(CommandLineError) in
      defer { unregisterAll() }
      do {
        try AtomicCommit.commit(files)
      } catch {
        throw .failure("\(error)")
      }
    }
  }

  private func unregisterAll() {
    for index in registrations.indices { registrations[index].unregister() }
  }

  /// Removes the temporary files of killed runs next to `destination`, saying so.
  private static func removeLeftovers(of destination: String) {
    for (path, code) in TemporaryName(destination: destination).removeLeftovers() {
      if let code {
        Terminal.standardError.write(
          "bonsai: cannot remove \(path), left by an interrupted run: \(String(cString: strerror(code)))\n")
      } else {
        Terminal.standardError.write("bonsai: removed \(path), left by an interrupted run\n")
      }
    }
  }
}
