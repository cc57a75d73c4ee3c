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
  /// The folders written (a model folder's output): each must differ from every path read,
  /// hold none of them and lie inside none of them, and no file written may lie inside it.
  var folderWrites = [Role]()

  /// Checks the rules above.
  func check() throws(CommandLineError) {
    for folder in folderWrites {
      for read in reads {
        if SamePath.same(folder.path, read.path) {
          throw .usage(
            "\(folder.option) \(folder.path) is the \(read.option) \(SamePath.isFolder(read.path) ? "folder" : "file"): Bonsai never writes to what it reads")
        }
        if SamePath.isInside(folder.path, folder: read.path) {
          throw .usage(
            "\(folder.option) \(folder.path) is inside the \(read.option) folder \(read.path): Bonsai never writes into what it reads")
        }
        if SamePath.isInside(read.path, folder: folder.path) {
          throw .usage(
            "\(folder.option) \(folder.path) holds the \(read.option) \(read.path), which replacing it would remove: write elsewhere")
        }
      }
      if let write = writes.first(where: {
        SamePath.same($0.path, folder.path) || SamePath.isInside($0.path, folder: folder.path)
          || $0.path.hasPrefix(folder.path + "/")
      }) {
        throw .usage(
          "\(write.option) \(write.path) is the \(folder.option) folder or inside it: write it elsewhere")
      }
    }
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
