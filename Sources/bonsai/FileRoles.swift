import SafeTensors

/// The files a run reads and writes, checked before the first is opened: every file it
/// writes must differ from every file it reads and from the others it writes — compared as
/// files (device and inode, so that hard links, symbolic links and `..` are seen through),
/// or, for files that do not exist yet, as paths with their folders resolved — and must be
/// absent or a regular file (a symbolic link, a directory, a device, a FIFO or a socket is
/// refused, never replaced). What is read is every file a path read leads to, through any
/// number of links, and for a folder every file and folder inside it, followed the same way
/// (``ReadFiles``): a model folder of links into a Hugging Face cache's `blobs/` protects
/// those blobs. Each failure is a usage error naming the options and the file.
struct FileRoles {
  /// A path and the option that gave it (`-o`, `--report`, `input`, `--gradients`, …).
  typealias Role = (option: String, path: String)

  /// The files read.
  var reads = [Role]()
  /// The files written.
  var writes = [Role]()
  /// The folders written (a model folder's output, or a folder files are moved out of):
  /// each must differ from everything read, hold nothing read and lie inside no folder read,
  /// and no file written may lie inside it.
  var folderWrites = [Role]()

  /// Checks the rules above.
  func check() throws(CommandLineError) {
    let read = ReadFiles(reads)
    for folder in folderWrites {
      let target = SamePath.canonical(Self.trimmed(folder.path))
      let identity = SamePath.identity(of: folder.path)
      if let same = read.entries.first(where: {
        identity != nil ? $0.identity == identity : $0.real == target
      }) {
        throw .usage(
          "\(folder.option) \(folder.path) is \(same.described): Bonsai never writes to what it reads")
      }
      if let outer = read.entries.first(where: {
        $0.isFolder && SamePath.isInside(real: target, realFolder: $0.real)
      }) {
        throw .usage(
          "\(folder.option) \(folder.path) is inside \(outer.described): Bonsai never writes into what it reads")
      }
      if let held = (read.givenPaths + read.entries).first(where: {
        SamePath.isInside(real: $0.real, realFolder: target)
      }) {
        let name = held.path == held.given ? "the \(held.option) \(held.given)" : held.described
        let through =
          held.real == SamePath.resolved(held.path) ? "" : " (through links, \(held.real))"
        throw .usage(
          "\(folder.option) \(folder.path) holds \(name)\(through), which replacing or emptying it would remove: write elsewhere")
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
      let target = SamePath.resolved(write.path)
      if let folder = read.entries.first(where: {
        $0.isFolder && SamePath.isInside(real: target, realFolder: $0.real)
      }) {
        throw .usage(
          "\(write.option) \(write.path) is inside \(folder.described): Bonsai never writes into what it reads")
      }
      let identity = SamePath.identity(of: write.path)
      if let same = read.entries.first(where: {
        identity != nil ? $0.identity == identity : $0.real == target
      }) {
        throw .usage(
          "\(write.option) \(write.path) is \(same.described): Bonsai never writes to a file it reads")
      }
      if let other = writes[..<index].first(where: { SamePath.same(write.path, $0.path) }) {
        throw .usage(
          "\(other.option) and \(write.option) name the same file, \(write.path): each output needs its own")
      }
    }
  }

  /// `path` without trailing slashes (`/` stays).
  static func trimmed(_ path: String) -> String {
    var trimmed = path
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    return trimmed
  }
}
