import Foundation
import SafeTensors
import Testing
import TestSupport

/// A `--pair` rule applies as written or is a usage error naming it: never silently dropped,
/// so that a compacted model always composes.
@Suite("--pair rules that cannot apply are usage errors")
struct PairRuleTests {
  /// P [8, 4] produces 8 channels; C1 [4, 8] and C2 [5, 8] read 8; I is I64, E empty.
  func model(_ folder: TemporaryDirectory) throws -> String {
    let path = folder.file("pairs.safetensors")
    var generator = SeededGenerator(seed: 16)
    try writeCheckpoint(
      path,
      floats: [
        ("P", [8, 4], generator.floats(32)), ("C1", [4, 8], generator.floats(32)),
        ("C2", [5, 8], generator.floats(40)), ("E", [0, 4], []),
      ],
      raw: [("I", .i64, [8], Array(repeating: 0, count: 64))])
    return path
  }

  @Test(arguments: [
    (["--include", "NOTHING", "--pair", "P->C1", "--pair", "P->C2", "--compact", "--granularity", "rows"],
     "--pair \"P->C2\": tensor \"P\" would be both producer of C1 and producer of C2"),
    (["--pair", "Q->C1"], "--pair \"Q->C1\": no tensor of"),
    (["--pair", "I->C1"], "--pair \"I->C1\": producer \"I\" has dtype I64"),
    (["--pair", "E->C1"], "--pair \"E->C1\": producer \"E\" has no elements"),
    (["--pair", "P->NOPE"], "pairs with \"NOPE\", which"),
    (["--pair", "P->I"], "consumer \"I\" has dtype I64"),
    (["--pair", "P->C1", "--exclude", "^P$"],
     "producer \"P\" matches --exclude \"^P$\", but its consumer \"C1\" does not"),
    (["--pair", "P->C1", "--exclude", "^C1$"], "consumer \"C1\" of \"P\" matches --exclude"),
    (["--pair", "P->C1", "--exclude", "^(P|C1)$"], "every tensor it matches is excluded"),
    (["--pair", "P->C1", "--min-nonzero", "9", "--include", "NOTHING"],
     "--min-nonzero 9 exceeds the 8 channels of the group read by \"C1\""),
  ])
  func ruleThatCannotApply(options: [String], message: String) throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let result = try BonsaiProcess.run(["prune", input, "-o", folder.file("out.safetensors")] + options)
    #expect(result.status == 64, "\(result.standardError)")
    #expect(result.standardError.contains(message), "\(result.standardError)")
    #expect(try folder.entries() == ["pairs.safetensors"])
  }

  @Test func aRuleThatAppliesKeepsTheModelComposing() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let output = folder.file("out.safetensors")
    let result = try BonsaiProcess.run([
      "prune", input, "-o", output, "--include", "NOTHING", "--pair", "P->C1", "--compact",
      "--min-nonzero", "8", "--sparsity", "0.5", "--quiet",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    let file = try SafeTensorsFile(path: output)
    #expect(file.tensor(named: "P")?.shape == [8, 4])
    #expect(file.tensor(named: "C1")?.shape == [4, 8])
    let pruned = try BonsaiProcess.run([
      "prune", input, "-o", output, "--include", "NOTHING", "--pair", "P->C1", "--compact",
      "--sparsity", "0.5", "--quiet",
    ])
    #expect(pruned.status == 0, "\(pruned.standardError)")
    let compacted = try SafeTensorsFile(path: output)
    #expect(compacted.tensor(named: "P")?.shape == [4, 4])
    #expect(compacted.tensor(named: "C1")?.shape == [4, 4])
    #expect(compacted.tensor(named: "C2")?.shape == [5, 8])
  }
}
