// The library runs inside servers that use OpenBLAS themselves: a call into Pruning must
// leave OpenBLAS's thread count, and every other process-wide setting, as the host left it,
// and its results must not depend on the host's setting. Checked from a separate process,
// `BonsaiHostProbe`, that links the library as a server would.

import Testing
import TestSupport

@Suite struct HostStateTests {
  @Test func hostSettingsSurviveAndResultsDoNotDependOnThem() throws {
    let probe = ChildProcess.builtExecutable("BonsaiHostProbe")
    let runs = try [1, 3].map { threads in (threads, try ChildProcess.run(probe, [String(threads)]))
    }
    for (threads, run) in runs {
      #expect(run.status == 0, "host at \(threads) threads: \(run.standardError)")
      #expect(
        run.standardOutput.hasPrefix("openblas-threads \(threads) hash "), "\(run.standardOutput)")
      #expect(run.standardError.isEmpty)
    }
    let hashes = Set(runs.map { $0.1.standardOutput.split(separator: " ").last })
    #expect(hashes.count == 1, "results differ with the host's thread count: \(runs)")
  }
}
