// The default thread count follows what the process may use, not what the machine has:
// `taskset -c 0` (the affinity mask) makes it 1, and a cgroup CPU quota caps it.

import Foundation
import Testing
@testable import Pruning

@Suite struct AvailableProcessorsTests {
  /// Under `taskset -c 0` the default thread count is 1, on a machine with more processors
  /// online: this test runs itself again in a subprocess pinned to processor 0, where
  /// `BONSAI_EXPECTED_THREADS` tells it what to find.
  @Test func followsTheAffinityMask() throws {
    let environment = ProcessInfo.processInfo.environment
    if let expected = environment["BONSAI_EXPECTED_THREADS"] {
      #expect(Pruner(try .unstructuredL1(sparsity: 0.5)).threadCount == Int(expected))
      return
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
    process.arguments = [
      "-c", "0", CommandLine.arguments[0], "--testing-library", "swift-testing", "--filter",
      "AvailableProcessorsTests/followsTheAffinityMask",
    ]
    process.environment = environment.merging(["BONSAI_EXPECTED_THREADS": "1"]) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.contains("with 1 test"), "the pinned run ran the test: \(text)")
  }

  /// The pinned subprocess above shows something only where more than one processor is
  /// online; here the count is at most the online processors and the affinity mask.
  @Test func neverExceedsTheOnlineProcessors() throws {
    let affinity = try #require(AvailableProcessors.affinityCount)
    #expect(AvailableProcessors.count >= 1)
    #expect(AvailableProcessors.count <= min(affinity, AvailableProcessors.onlineCount))
  }

  @Test func cgroupQuotasRoundUp() {
    #expect(AvailableProcessors.quota(cpuMax: "max 100000\n") == nil)
    #expect(AvailableProcessors.quota(cpuMax: "200000 100000\n") == 2)
    #expect(AvailableProcessors.quota(cpuMax: "150000 100000") == 2)
    #expect(AvailableProcessors.quota(cpuMax: "50000 100000") == 1)
    #expect(AvailableProcessors.quota(cpuMax: "") == nil)
    #expect(AvailableProcessors.quota(cfsQuota: "-1\n", period: "100000\n") == nil)
    #expect(AvailableProcessors.quota(cfsQuota: "250000\n", period: "100000\n") == 3)
    #expect(AvailableProcessors.quota(cfsQuota: "garbage", period: "100000") == nil)
  }
}
