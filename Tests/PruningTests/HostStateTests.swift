// The library runs inside servers that use OpenBLAS themselves: a call into Pruning must
// leave OpenBLAS's thread count, and every other process-wide setting, as the host left it,
// and its results must not depend on the host's setting. Checked from a separate process,
// `BonsaiHostProbe`, that links the library as a server would.

import Foundation
import Testing

@Suite struct HostStateTests {
  /// The probe, built next to the test bundle.
  static var probe: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("BonsaiHostProbe")
  }

  /// Runs the probe with the host's OpenBLAS set to `threads`; its status and output.
  static func runProbe(threads: Int) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = probe
    process.arguments = [String(threads)]
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: outData, as: UTF8.self),
      String(decoding: errData, as: UTF8.self)
    )
  }

  @Test func hostSettingsSurviveAndResultsDoNotDependOnThem() throws {
    let runs = try [1, 3].map { threads in (threads, try Self.runProbe(threads: threads)) }
    for (threads, run) in runs {
      #expect(run.status == 0, "host at \(threads) threads: \(run.error)")
      #expect(run.output.hasPrefix("openblas-threads \(threads) hash "), "\(run.output)")
      #expect(run.error.isEmpty)
    }
    let hashes = Set(runs.map { $0.1.output.split(separator: " ").last })
    #expect(hashes.count == 1, "results differ with the host's thread count: \(runs)")
  }
}
