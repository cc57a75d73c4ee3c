#if canImport(Glibc)
import Glibc
#endif

/// A standard stream of the process, written without buffering surprises.
struct Terminal {
  /// Standard output.
  static let standardOutput = Terminal(descriptor: STDOUT_FILENO)
  /// Standard error.
  static let standardError = Terminal(descriptor: STDERR_FILENO)

  let descriptor: Int32

  /// Whether the stream is a terminal (progress bars go only to terminals).
  var isTerminal: Bool { isatty(descriptor) == 1 }

  /// Writes a text of one or more lines whole, its control and format characters other than
  /// line feeds escaped (see ``Swift/String/terminalSafe(keepingLineBreaks:)``): the names
  /// inside must have been escaped where they were put in, line feeds included (tables and
  /// plans do).
  func write(_ text: String) {
    write(verbatim: text.terminalSafe(keepingLineBreaks: true))
  }

  /// Writes one line, every control and format character in it escaped (a name in it cannot
  /// start another line), and a line feed.
  func writeLine(_ line: String) {
    write(verbatim: line.terminalSafe() + "\n")
  }

  /// Redraws the current line of a terminal with `text` (escaped): back to its start, the
  /// text, the rest of the line cleared.
  func redrawLine(_ text: String) {
    write(verbatim: "\r" + text.terminalSafe() + Self.clearToLineEnd)
  }

  /// Clears the current line of a terminal, so that a line written next replaces it.
  func clearLine() {
    write(verbatim: "\r" + Self.clearToLineEnd)
  }

  /// The terminal's control sequence that erases from the cursor to the end of the line.
  private static let clearToLineEnd = "\u{1B}[K"

  /// Writes `text` whole and as it is: for JSON, which escapes control characters itself,
  /// and for the sequences above.
  func write(verbatim text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
      if written < 0 && errno == EINTR { continue }
      guard written > 0 else { return }
      offset += written
    }
  }
}

/// Progress of a run over a checkpoint, per tensor and by bytes: a bar redrawn in place on
/// a terminal, plain lines otherwise (one per tensor for a file, one per shard for a
/// sharded folder), nothing when quiet.
struct ProgressDisplay {
  /// How progress is shown.
  enum Style {
    case bar, lines, quiet
  }

  let style: Style
  let totalTensors: Int
  let totalBytes: Int
  /// The number of files written: above 1, progress is told per shard.
  var shardCount = 1

  /// The style for stderr: a bar on a terminal, lines otherwise, nothing when `quiet`.
  static func style(quiet: Bool) -> Style {
    quiet ? .quiet : Terminal.standardError.isTerminal ? .bar : .lines
  }

  /// Reports that tensor `index` (0-based), `name`, is done and `bytesDone` bytes in all.
  func update(index: Int, name: String, bytesDone: Int, action: String) {
    switch style {
    case .quiet:
      return
    case .lines:
      if shardCount == 1 {
        Terminal.standardError.writeLine("[\(index + 1)/\(totalTensors)] \(action) \(name)")
      }
    case .bar:
      let width = 30
      let fraction = totalBytes == 0 ? 1 : Double(bytesDone) / Double(totalBytes)
      let filled = Int(fraction * Double(width))
      let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
      let megabytes = "\(bytesDone >> 20)/\(totalBytes >> 20) MiB"
      Terminal.standardError.redrawLine(
        "[\(bar)] \(index + 1)/\(totalTensors) tensors, \(megabytes)")
      if index + 1 == totalTensors { Terminal.standardError.write("\n") }
    }
  }

  /// Reports that shard `index` (0-based), `name`, holding `tensors` tensors, is written:
  /// one line, above the bar on a terminal. Nothing for a single file.
  func finishedShard(_ index: Int, name: String, tensors: Int) {
    guard shardCount > 1 && style != .quiet else { return }
    if style == .bar { Terminal.standardError.clearLine() }
    Terminal.standardError.writeLine(
      "shard \(index + 1)/\(shardCount) \(name.terminalSafe()): \(tensors) tensors written")
  }
}
