// Checks that a header's tensors describe the data region exactly: each tensor's byte
// length matches its dtype and shape, and, sorted by offset, the tensors tile the region
// with no hole, no overlap, and nothing left over. Offsets come from the file, so every
// comparison is made before any arithmetic that could overflow.

/// Validates tensor sizes and offsets against each other and against the data region.
enum DataLayout {
  /// Returns the tensors in data-offset order (ties: shorter first, then header order).
  /// - Parameters:
  ///   - entries: The header's tensors, in header order.
  ///   - dataSize: The number of bytes after the header.
  ///   - path: The file, for error messages.
  static func validate(
    _ entries: [ParsedHeader.Entry], dataSize: Int, path: String
  ) throws(SafeTensorsError) -> [TensorInfo] {
    for entry in entries {
      try checkSize(entry, path: path)
    }
    let sorted = entries.enumerated().sorted { left, right in
      (left.element.begin, left.element.end, left.offset)
        < (right.element.begin, right.element.end, right.offset)
    }.map(\.element)

    var covered = 0
    var previous: ParsedHeader.Entry?
    for entry in sorted {
      func invalid(_ problem: String) -> SafeTensorsError {
        .invalidTensor(path: path, tensor: entry.name, problem: problem)
      }
      let offsets = "data_offsets [\(entry.begin), \(entry.end)]"
      if entry.end > dataSize {
        throw invalid(
          "\(offsets) run past the end of the file: "
            + "the data region holds \(dataSize) bytes")
      }
      if entry.begin < covered, let previous {
        throw invalid(
          "\(offsets) overlap tensor \(quoted(previous.name)) "
            + "at [\(previous.begin), \(previous.end)]")
      }
      if entry.begin > covered {
        if let previous {
          throw invalid(
            "\(offsets) leave a hole of \(entry.begin - covered) bytes "
              + "after tensor \(quoted(previous.name)), which ends at \(covered)")
        }
        throw invalid(
          "\(offsets) do not start at 0: "
            + "the first tensor must begin where the data region begins")
      }
      covered = entry.end
      previous = entry
    }
    if covered != dataSize {
      let problem =
        entries.isEmpty
        ? "the header declares no tensors, but the data region holds \(dataSize) bytes"
        : "\(dataSize - covered) trailing bytes after the last tensor: "
          + "the data region holds \(dataSize) bytes but the tensors cover \(covered)"
      throw .invalidLayout(path: path, problem: problem)
    }
    return sorted.map {
      TensorInfo(name: $0.name, dtype: $0.dtype, shape: $0.shape, dataOffsets: $0.begin..<$0.end)
    }
  }

  /// Checks one tensor on its own: offsets in order, byte length matching dtype and shape.
  private static func checkSize(
    _ entry: ParsedHeader.Entry, path: String
  ) throws(SafeTensorsError) {
    func invalid(_ problem: String) -> SafeTensorsError {
      .invalidTensor(path: path, tensor: entry.name, problem: problem)
    }
    let offsets = "data_offsets [\(entry.begin), \(entry.end)]"
    guard entry.begin <= entry.end else {
      throw invalid("\(offsets) are reversed: begin is after end")
    }
    let needed: Int
    do {
      needed = try entry.dtype.byteCount(forShape: entry.shape)
    } catch {
      throw invalid(error.message(dtype: entry.dtype, shape: entry.shape))
    }
    let held = entry.end - entry.begin
    if held != needed {
      throw invalid(
        "\(offsets) hold \(held) bytes but shape \(describeShape(entry.shape)) "
          + "of \(entry.dtype.rawValue) needs \(needed)")
    }
  }
}
