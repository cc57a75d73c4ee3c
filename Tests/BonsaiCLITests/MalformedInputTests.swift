import Foundation
import Testing
import TestSupport

/// Every malformed file of the corpus through the built binary: `bonsai report` and
/// `bonsai prune` reject it with one line naming the file and the problem, exit status 1,
/// and leave no output behind.
@Suite("malformed checkpoints on the command line")
struct MalformedInputTests {
  @Test(arguments: malformedCases)
  func rejectedByReportAndPrune(_ malformed: MalformedCase) throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("bad.safetensors")
    try Data(malformed.bytes).write(to: URL(fileURLWithPath: input))
    for arguments in [["report", input], ["prune", input, "-o", folder.file("out.safetensors")]] {
      let result = try BonsaiProcess.run(arguments)
      #expect(result.status == 1, "\(arguments[0]): \(result.standardError)")
      #expect(result.standardError.hasPrefix("bonsai: error: \(input): "), "\(result.standardError)")
      #expect(result.standardError.contains(malformed.message), "\(result.standardError)")
      #expect(result.standardError.filter { $0 == "\n" }.count == 1, "one line")
      #expect(try folder.entries() == ["bad.safetensors"], "nothing written")
    }
  }
}
