/// Everything that can go wrong reading or writing a safetensors file.
///
/// Every case carries the path of the file concerned (for the writer: the destination, not
/// the temporary file), and ``description`` says on one line what is wrong and where: the
/// tensor, the field, the offending value. For example:
///
/// ```
/// model.safetensors: tensor "a.weight": data_offsets [0, 12] hold 12 bytes but shape
/// [2, 2] of F32 needs 16
/// ```
///
/// System errors keep the C `errno` value so callers can match on it (`ENOENT`, `ENOSPC`…).
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
  // MARK: Reading

  /// The file could not be opened (`open(2)` failed with `errno`).
  case cannotOpen(path: String, errno: Int32)
  /// The file was opened but could not be inspected or mapped (`fstat(2)` or `mmap(2)`).
  case cannotRead(path: String, errno: Int32)
  /// The path names a directory, a device or another non-regular file.
  case notRegularFile(path: String)
  /// The file is shorter than the 8-byte header length; `size` 0 means the file is empty.
  case fileTooShort(path: String, size: Int)
  /// The header length exceeds the 100,000,000-byte limit.
  case headerTooLarge(path: String, length: UInt64)
  /// The header length points past the end of the file (the file is truncated, or the
  /// length is garbage).
  case headerPastEndOfFile(path: String, length: UInt64, fileSize: Int)
  /// The header is not valid UTF-8; `offset` is the file offset of the first bad byte.
  case headerNotUTF8(path: String, offset: Int)
  /// The header is not valid JSON; `offset` is the file offset where parsing failed.
  case invalidJSON(path: String, offset: Int, problem: String)
  /// The header is JSON but not a safetensors header: not an object.
  case invalidHeader(path: String, problem: String)
  /// The `"__metadata__"` entry is not an object of strings to strings.
  case invalidMetadata(path: String, problem: String)
  /// One tensor's entry is wrong: a missing, extra or mistyped field, an unknown dtype, a
  /// bad number, offsets that disagree with the shape or with the other tensors.
  /// Also thrown by the writer for a tensor it cannot store.
  case invalidTensor(path: String, tensor: String, problem: String)
  /// The tensors do not cover the data region exactly (trailing bytes after the last one).
  case invalidLayout(path: String, problem: String)
  /// The file shrank to `size` bytes after it was opened with `expected` (another program
  /// truncated or rewrote it in place while it was being read).
  case truncated(path: String, size: Int, expected: Int)

  // MARK: Writing

  /// The destination exists and is not a regular file (`kind`: "a symbolic link", "a
  /// directory", "a FIFO", …): it is refused rather than replaced.
  case notRegularDestination(path: String, kind: String)

  /// The temporary file next to the destination could not be created.
  case cannotCreate(path: String, errno: Int32)
  /// Writing, syncing or closing the temporary file failed (`ENOSPC`: no space left).
  case cannotWrite(path: String, errno: Int32)
  /// The finished temporary file could not be renamed onto the destination.
  case cannotReplace(path: String, errno: Int32)
  /// The file is in place, but its directory could not be synced, so the rename might not
  /// survive a crash.
  case cannotSyncDirectory(path: String, errno: Int32)
  /// `finish()` was called before every declared byte was appended; `tensor` is the first
  /// incomplete one, of which `written` of `expected` bytes arrived.
  case missingBytes(path: String, tensor: String, written: Int, expected: Int)
  /// More bytes were appended than the tensors declare.
  case excessBytes(path: String, declared: Int, received: Int)

  /// The path of the file concerned.
  public var path: String {
    switch self {
    case .cannotOpen(let path, _), .cannotRead(let path, _), .notRegularFile(let path),
      .fileTooShort(let path, _), .headerTooLarge(let path, _),
      .headerPastEndOfFile(let path, _, _), .headerNotUTF8(let path, _),
      .invalidJSON(let path, _, _), .invalidHeader(let path, _), .invalidMetadata(let path, _),
      .invalidTensor(let path, _, _), .invalidLayout(let path, _), .truncated(let path, _, _),
      .notRegularDestination(let path, _),
      .cannotCreate(let path, _), .cannotWrite(let path, _), .cannotReplace(let path, _),
      .cannotSyncDirectory(let path, _), .missingBytes(let path, _, _, _),
      .excessBytes(let path, _, _):
      return path
    }
  }

  /// One line: the path, then precisely what is wrong.
  public var description: String {
    "\(printable(path)): \(problem)"
  }

  private var problem: String {
    switch self {
    case .cannotOpen(_, let code):
      return "cannot open for reading: \(ErrnoDescription.text(code))"
    case .cannotRead(_, let code):
      return "cannot read: \(ErrnoDescription.text(code))"
    case .notRegularFile:
      return "not a regular file"
    case .fileTooShort(_, 0):
      return "file is empty; a safetensors file starts with an 8-byte header length"
    case .fileTooShort(_, let size):
      return "file is \(size) bytes, too short for the 8-byte header length"
    case .headerTooLarge(_, let length):
      return "header length \(length) exceeds the limit of \(maximumHeaderLength) bytes"
    case .headerPastEndOfFile(_, let length, let fileSize):
      return "header length \(length) runs past the end of the file: "
        + "8 + \(length) bytes needed, but the file has \(fileSize)"
    case .headerNotUTF8(_, let offset):
      return "header is not valid UTF-8 at file offset \(offset)"
    case .invalidJSON(_, let offset, let problem):
      return "header is not valid JSON at file offset \(offset): \(problem)"
    case .invalidHeader(_, let problem):
      return "invalid header: \(problem)"
    case .invalidMetadata(_, let problem):
      return "invalid __metadata__: \(problem)"
    case .invalidTensor(_, let tensor, let problem):
      return "tensor \(quoted(tensor)): \(problem)"
    case .invalidLayout(_, let problem):
      return problem
    case .truncated(_, let size, let expected):
      return "the file shrank from \(expected) to \(size) bytes while being read "
        + "(truncated or rewritten in place by another program)"
    case .notRegularDestination(_, let kind):
      return "is \(kind), not a regular file: Bonsai writes only regular files, replacing "
        + "them whole, and never writes through a link or into a device"
    case .cannotCreate(_, let code):
      return "cannot create a temporary file in its directory: \(ErrnoDescription.text(code))"
    case .cannotWrite(_, let code):
      return "cannot write: \(ErrnoDescription.text(code))"
    case .cannotReplace(_, let code):
      return "cannot rename the temporary file into place: \(ErrnoDescription.text(code))"
    case .cannotSyncDirectory(_, let code):
      return "written, but cannot sync its directory: \(ErrnoDescription.text(code))"
    case .missingBytes(_, let tensor, let written, let expected):
      return "tensor \(quoted(tensor)): only \(written) of its \(expected) bytes were "
        + "appended before finish()"
    case .excessBytes(_, let declared, let received):
      return "\(received) bytes of tensor data appended, but the tensors declare \(declared)"
    }
  }
}

/// The largest header length accepted on reading and produced on writing, as in the reference.
let maximumHeaderLength = 100_000_000

/// `s` in double quotes, escaped and shortened so that a message stays on one short line.
func quoted(_ s: String) -> String {
  let limit = 80
  var result = "\""
  for (count, scalar) in s.unicodeScalars.enumerated() {
    if count == limit {
      result += "…"
      break
    }
    switch scalar {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    default: appendPrintable(scalar, to: &result)
    }
  }
  return result + "\""
}

/// `s` with control characters escaped, so that it cannot break a message across lines.
func printable(_ s: String) -> String {
  var result = ""
  for scalar in s.unicodeScalars {
    appendPrintable(scalar, to: &result)
  }
  return result
}

private func appendPrintable(_ scalar: Unicode.Scalar, to result: inout String) {
  switch scalar {
  case "\n": result += "\\n"
  case "\r": result += "\\r"
  case "\t": result += "\\t"
  default:
    let value = scalar.value
    if value < 0x20 || (0x7F..<0xA0).contains(value) || value == 0x2028 || value == 0x2029 {
      result += "\\u{\(String(value, radix: 16))}"
    } else {
      result.unicodeScalars.append(scalar)
    }
  }
}
