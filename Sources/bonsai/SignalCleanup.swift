import CSignalCleanup
import ModelFolders

/// What `bonsai` does when it is stopped by a signal: SIGINT, SIGTERM, SIGHUP, SIGQUIT,
/// SIGPIPE (its output piped into a program that quit) and SIGXFSZ (the file-size limit)
/// remove the temporary files of the outputs being written and the output folder being
/// built, then end the process by the same signal; SIGBUS — reading a memory-mapped input that another program truncated —
/// removes them too and fails with a one-line error (status 1). The handlers live in C
/// (`CSignalCleanup`), because a signal handler may only make async-signal-safe calls.
/// Only the executable installs them; the libraries change no signal handler.
enum SignalCleanup {
  /// The message of a SIGBUS.
  static let busErrorMessage =
    "bonsai: error: an input file shrank while it was being read (truncated or rewritten "
    + "in place by another program); nothing was written\n"

  /// Installs the handlers; called once, first thing.
  static func install() {
    if bonsai_cleanup_install(busErrorMessage) != 0 {
      Terminal.standardError.write("bonsai: warning: cannot install signal handlers; an interrupted run may leave a temporary file\n")
    }
  }

  /// Runs `body` with the termination signals held (on the main thread, where they are
  /// handled): one that arrives meanwhile takes effect after it, so that `body` is never
  /// cut in two. Holds nest.
  static func holdingSignals<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    bonsai_cleanup_hold_signals(1)
    defer { bonsai_cleanup_hold_signals(0) }
    return try body()
  }

  /// The temporary folder of a model-folder output, registered for removal with everything
  /// in it on those signals (only while it holds ``FolderOutput/inProgressMarker``). Without
  /// a free slot the folder is left to the next run, which removes it. Released when it
  /// goes away, if not before.
  final class FolderRegistration {
    private var slot: Int32

    /// Registers the folder `output` is built in.
    init(_ output: FolderOutput) {
      slot = bonsai_cleanup_add_folder(output.temporaryPath, FolderOutput.inProgressMarker)
    }

    deinit {
      release()
    }

    /// Forgets the folder — before ``FolderOutput/commit()``, which renames it and, when
    /// replacing, gives its name to the old destination; waits for a handler already
    /// removing it to end the process.
    func release() {
      bonsai_cleanup_remove(slot)
      slot = -1
    }
  }

  /// A temporary path registered for removal on those signals.
  struct Registration {
    private var slot: Int32 = -1

    /// Registers `path` in place of the path registered before, if any.
    mutating func register(_ path: String) {
      bonsai_cleanup_remove(slot)
      slot = bonsai_cleanup_add(path)
    }

    /// Forgets the path: the file is renamed into place or removed.
    mutating func unregister() {
      bonsai_cleanup_remove(slot)
      slot = -1
    }
  }
}
