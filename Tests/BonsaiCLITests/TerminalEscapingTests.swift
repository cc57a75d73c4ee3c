import Foundation
import Testing
import TestSupport

/// Tensor names are data: one holding ESC, CR, a line feed, BEL, C1 controls or a bidi
/// override must not forge a line, clear the screen or set the window title. Everything
/// printed escapes them; only the program's own line feeds (and, on a terminal, the progress
/// bar's carriage return and erase-line sequence) reach stdout and stderr raw. JSON stays
/// exact.
@Suite("names with control characters are printed escaped")
struct TerminalEscapingTests {
  /// Names that each try something: set the window title (OSC … BEL), return to the line
  /// start and clear the screen, start a forged line, reverse the text, C1 NEL and CSI,
  /// DEL and a tab.
  static let names = [
    "a\u{1B}]0;owned\u{07}.weight",
    "b\rpruned 0 of 2 tensors; all good\u{1B}[2J.weight",
    "c\npruned 0 of 3 tensors; all good\n.weight",
    "d\u{202E}thgiew.weight",
    "e\u{85}\u{9B}31m.weight",
    "f\u{7F}\t\u{2028}.weight",
  ]

  /// The scalars a terminal may act on, other than the line feed: C0, DEL, C1, bidi
  /// embeddings, overrides and isolates, marks, and line and paragraph separators. Written
  /// out here independently of the program's own test.
  func rawControls(_ text: String) -> [UInt32] {
    text.unicodeScalars.map(\.value).filter { value in
      (value < 0x20 && value != 0x0A) || (0x7F ... 0x9F).contains(value)
        || (0x200B ... 0x200F).contains(value) || (0x2028 ... 0x202E).contains(value)
        || (0x2066 ... 0x2069).contains(value)
    }
  }

  /// No raw control in `result`'s output, and no line forged by a name.
  func expectClean(_ result: ChildProcess.Result, _ context: String) {
    for (stream, text) in [("stdout", result.standardOutput), ("stderr", result.standardError)] {
      #expect(rawControls(text).isEmpty, "\(context) \(stream): \(text.debugDescription)")
      for line in text.split(separator: "\n") {
        #expect(!line.hasPrefix("pruned 0 of 2") && !line.hasPrefix("pruned 0 of 3"), "\(context): forged \(line)")
        #expect(!line.hasPrefix(".weight"), "\(context): a name split over lines")
      }
    }
  }

  /// A checkpoint of the names, 4×4 each; `poisoned`'s tensor holds a NaN.
  func checkpoint(_ path: String, poisoned: String? = nil) throws {
    var generator = SeededGenerator(seed: 3)
    try writeCheckpoint(
      path,
      floats: Self.names.map { name in
        var values = generator.floats(16)
        if name == poisoned { values[5] = .nan }
        return (name, [4, 4], values)
      })
  }

  @Test("prune (lines, quiet), --dry-run and report print names escaped, one line each")
  func prints() throws {
    let directory = try TemporaryDirectory()
    let input = directory.file("m.safetensors")
    try checkpoint(input)
    let pruned = try BonsaiProcess.run(["prune", input, "-o", directory.file("out.safetensors")])
    #expect(pruned.status == 0, "\(pruned.standardError)")
    expectClean(pruned, "prune")
    // One progress line per tensor, one table row per tensor: nothing split.
    #expect(pruned.standardError.split(separator: "\n").count == Self.names.count)
    #expect(pruned.standardOutput.contains("a\\u{1B}]0;owned\\u{7}.weight"))
    #expect(pruned.standardOutput.contains("c\\npruned 0 of 3 tensors; all good\\n.weight"))
    #expect(pruned.standardError.contains("d\\u{202E}thgiew.weight"))

    let quiet = try BonsaiProcess.run(["prune", input, "-o", directory.file("q.safetensors"), "--quiet"])
    #expect(quiet.status == 0 && quiet.standardOutput.isEmpty && quiet.standardError.isEmpty)

    let plan = try BonsaiProcess.run(["prune", input, "--dry-run"])
    #expect(plan.status == 0, "\(plan.standardError)")
    expectClean(plan, "--dry-run")
    #expect(plan.standardOutput.split(separator: "\n").count == 1 + Self.names.count)
    #expect(plan.standardOutput.contains("b\\rpruned 0 of 2 tensors; all good\\u{1B}[2J.weight"))

    let report = try BonsaiProcess.run(["report", input])
    #expect(report.status == 0, "\(report.standardError)")
    expectClean(report, "report")
    #expect(report.standardOutput.split(separator: "\n").count == 2 + Self.names.count)
    #expect(report.standardOutput.contains("e\\u{85}\\u{9B}31m.weight"))
    #expect(report.standardOutput.contains("f\\u{7F}\\t\\u{2028}.weight"))
  }

  @Test("JSON output keeps the names exact")
  func json() throws {
    let directory = try TemporaryDirectory()
    let input = directory.file("m.safetensors")
    try checkpoint(input)
    let report = try BonsaiProcess.run(["report", input, "--json"])
    #expect(report.status == 0, "\(report.standardError)")
    let object = try JSONSerialization.jsonObject(with: Data(report.standardOutput.utf8)) as? [String: Any]
    let tensors = try #require(object?["tensors"] as? [[String: Any]])
    #expect(Set(tensors.compactMap { $0["name"] as? String }) == Set(Self.names))
  }

  @Test("an error naming a tensor with control characters is one escaped line")
  func error() throws {
    let directory = try TemporaryDirectory()
    let input = directory.file("m.safetensors")
    try checkpoint(input, poisoned: Self.names[2])
    let result = try BonsaiProcess.run(["prune", input, "-o", directory.file("out.safetensors"), "--quiet"])
    #expect(result.status != 0)
    expectClean(result, "error")
    #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    #expect(result.standardError.contains("c\\npruned 0 of 3 tensors; all good\\n.weight"))
    #expect(result.standardError.contains("non-finite"))
    #expect(try directory.entries() == ["m.safetensors"])
  }

  @Test("on a terminal only the bar's own carriage return and erase-line reach it raw")
  func bar() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
      print("TerminalEscapingTests.bar: SKIPPED: /usr/bin/script (util-linux) is not installed")
      return
    }
    let directory = try TemporaryDirectory()
    let input = directory.file("m.safetensors")
    try checkpoint(input)
    try checkpoint(directory.file("nan.safetensors"), poisoned: Self.names[0])
    for (arguments, status) in [
      (["prune", input, "-o", directory.file("out.safetensors")], Int32(0)),
      (["prune", directory.file("nan.safetensors"), "-o", directory.file("x.safetensors")], 1),
    ] {
      // The terminal's own newline translation off, so that every CR is the program's.
      let command = "stty -onlcr; exec '\(BonsaiProcess.binary)' "
        + arguments.map { "'\($0)'" }.joined(separator: " ")
      let result = try ChildProcess.run("/usr/bin/script", ["-qec", command, "/dev/null"])
      #expect(result.status == status, "\(result.standardOutput)")
      if status == 0 { #expect(result.standardOutput.contains("tensors, 0/0 MiB"), "a bar was drawn") }
      let own = try Regex(#"\r\[[# ]{30}\] \d+/\d+ tensors, \d+/\d+ MiB\x1B\[K|\r\x1B\[K"#)
      let rest = result.standardOutput.replacing(own, with: "")
      #expect(rawControls(rest).isEmpty, "\(rest.debugDescription)")
    }
  }

  @Test("a 5000-character name is cut in the tables' column, printed whole in the plan")
  func longName() throws {
    let directory = try TemporaryDirectory()
    let input = directory.file("m.safetensors")
    let long = "model." + String(repeating: "x", count: 5000) + ".weight"
    var generator = SeededGenerator(seed: 4)
    try writeCheckpoint(
      input, floats: [(long, [4, 4], generator.floats(16)), ("b.weight", [4, 4], generator.floats(16))])
    let pruned = try BonsaiProcess.run(["prune", input, "-o", directory.file("out.safetensors")])
    #expect(pruned.status == 0, "\(pruned.standardError)")
    let report = try BonsaiProcess.run(["report", input])
    #expect(report.status == 0, "\(report.standardError)")
    for text in [pruned.standardOutput, report.standardOutput] {
      // The plan's lines (indented) name the tensors whole.
      let lines = text.split(separator: "\n").filter { !$0.hasPrefix("  ") }
      #expect(lines.allSatisfy { $0.count < 200 }, "\(lines.map(\.count))")
      #expect(lines.contains { $0.hasPrefix("model.xxx") && $0.contains("…xxx") })
    }
    let plan = try BonsaiProcess.run(["prune", input, "--dry-run"])
    #expect(plan.standardOutput.contains(long))
  }
}
