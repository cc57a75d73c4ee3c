import SafeTensors

/// The files a run reads and writes, checked before the first is opened: every file it
/// writes must differ from every file it reads and from the others it writes — compared as
/// files (device and inode, so that hard links, symbolic links and `..` are seen through),
/// or, for files that do not exist yet, as paths with their folders resolved — and must be
/// absent or a regular file (a symbolic link, a directory, a device, a FIFO or a socket is
/// refused, never replaced). Each failure is a usage error naming the options.
struct FileRoles {
  /// A path and the option that gave it (`-o`, `--report`, `input`, `--gradients`, …).
  typealias Role = (option: String, path: String)

  /// The files read.
  var reads = [Role]()
  /// The files written.
  var writes = [Role]()

  /// Checks the rules above.
  func check() throws(CommandLineError) {
    for (index, write) in writes.enumerated() {
      if write.path.isEmpty || write.path.hasSuffix("/") {
        throw .usage("\(write.option) \"\(write.path)\" names no file: give a file's path")
      }
      do {
        try StagedFile.checkDestination(write.path)
      } catch {
        throw .usage("\(write.option) \(error)")
      }
      if let folder = reads.first(where: { SamePath.isInside(write.path, folder: $0.path) }) {
        throw .usage(
          "\(write.option) \(write.path) is inside the \(folder.option) folder \(folder.path): Bonsai never writes into what it reads")
      }
      if let read = reads.first(where: { SamePath.same(write.path, $0.path) }) {
        throw .usage(
          "\(write.option) \(write.path) is the \(read.option) file: Bonsai never writes to a file it reads")
      }
      if let other = writes[..<index].first(where: { SamePath.same(write.path, $0.path) }) {
        throw .usage(
          "\(other.option) and \(write.option) name the same file, \(write.path): each output needs its own")
      }
    }
  }
}
