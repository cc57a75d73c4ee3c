import Foundation
import SafeTensors

/// Writing a report file (`--report`, `--report-html`, `--html`) into its staged file, which
/// its run's ``OutputSet`` renames into place together with the run's other outputs.
enum ReportFile {
  /// Writes `data` into `file`.
  static func write(_ data: Data, to file: StagedFile) throws(CommandLineError) {
    let written = data.withUnsafeBytes { bytes in
      Result { () throws(SafeTensorsError) in try file.write(bytes) }
    }
    do {
      try written.get()
    } catch {
      throw .failure("\(error)")
    }
  }
}
