import ArgumentParser
import Foundation

/// Writing a report file (`--report`, `--report-html`, `--html`).
enum ReportFile {
  /// Writes `data` to `path` atomically: a temporary file beside it, renamed into place.
  static func write(_ data: Data, to path: String, describing kind: String) throws(CommandLineError) {
    do {
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw .failure("cannot write \(kind) \(path): \(error.localizedDescription)")
    }
  }
}

extension ReportFile {
  /// Refuses a report destination given as `option` that names a file the run reads or
  /// another file it writes: `others` are those files, each with the words that name it.
  static func checkDestination(
    _ path: String, option: String, others: [(words: String, path: String?)]
  ) throws(ValidationError) {
    for (words, other) in others {
      guard let other, SamePath.same(path, other) else { continue }
      throw ValidationError("\(option) \(path) is \(words): Bonsai never overwrites what it reads or writes")
    }
  }
}
