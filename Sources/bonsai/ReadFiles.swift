#if canImport(Glibc)
  import Glibc
#endif

/// Every file and folder a run reads, as the files themselves: a path given is followed
/// through any number of symbolic links, and a folder given (a model folder) stands for
/// every file and sub-folder inside it, each followed through its links too — a Hugging
/// Face cache snapshot is a folder of links into a sibling `blobs/`, and those blobs are
/// what the run reads. ``FileRoles`` compares what a run writes against these, so that a
/// file read through a link is protected exactly as when its path is given directly.
struct ReadFiles {
  /// One file or folder read.
  struct Entry {
    /// The option that gave it (`input`, `--activations`, …).
    let option: String
    /// The path the option gave.
    let given: String
    /// The path it is read through: `given`, or a path inside the folder `given`.
    let path: String
    /// The path with every link and `..` resolved (for a path that does not exist, its
    /// folder resolved).
    let real: String
    /// Its device and inode, when it exists.
    let identity: SamePath.Identity?
    /// Whether it is a folder.
    let isFolder: Bool

    /// How a message names it: "the input folder lm", "the --activations file a.st", or,
    /// for what lies inside a folder given, "the input's file lm/model.safetensors".
    var described: String {
      let kind = isFolder ? "folder" : "file"
      return path == given ? "the \(option) \(kind) \(path)" : "the \(option)'s \(kind) \(path)"
    }
  }

  /// What is read, each option's own path first and then what lies inside it.
  private(set) var entries = [Entry]()

  /// Everything the paths of `roles` read.
  init(_ roles: [FileRoles.Role]) {
    for role in roles {
      let entry = Self.entry(role, path: role.path)
      entries.append(entry)
      if entry.isFolder {
        addContents(of: role, folder: role.path, root: entry.real, ancestors: [])
      }
    }
  }

  /// The paths given, with only their folders resolved, not the last link: a link that lies
  /// inside a folder that is replaced goes with it even when what it names does not.
  var givenPaths: [Entry] {
    entries.filter { $0.path == $0.given }.map { entry in
      Entry(
        option: entry.option, given: entry.given, path: entry.path,
        real: SamePath.resolved(FileRoles.trimmed(entry.given)), identity: nil,
        isFolder: entry.isFolder)
    }
  }

  /// Adds everything inside `folder` (read for `role`); `ancestors` are the folders above it,
  /// by identity, so that a link back to one of them is not followed forever. A link to a
  /// file is followed wherever it leads; a sub-folder counts (and is entered) only when it
  /// lies inside `root`, the resolved folder given: a link to a folder outside it (to `/`,
  /// say) is never read (a pruned copy refuses it, ``ModelFolder/checkCopies()``), and
  /// walking it could take forever.
  private mutating func addContents(
    of role: FileRoles.Role, folder: String, root: String, ancestors: [SamePath.Identity]
  ) {
    guard let identity = SamePath.identity(of: folder), !ancestors.contains(identity) else {
      return
    }
    for name in SamePath.entries(of: folder) {
      let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
      let entry = Self.entry(role, path: path)
      guard entry.isFolder else {
        entries.append(entry)
        continue
      }
      if SamePath.isInside(real: entry.real, realFolder: root) {
        entries.append(entry)
        addContents(of: role, folder: path, root: root, ancestors: ancestors + [identity])
      }
    }
  }

  private static func entry(_ role: FileRoles.Role, path: String) -> Entry {
    Entry(
      option: role.option, given: role.path, path: path, real: SamePath.canonical(path),
      identity: SamePath.identity(of: path), isFolder: SamePath.isFolder(path))
  }
}
