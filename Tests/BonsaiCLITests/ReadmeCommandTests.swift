import Foundation
import Testing
import TestSupport

/// Every command line of the README runs as written on the files `bonsai demo --folder DIR`
/// writes, and the demo's output in the README is what the commands print.
@Suite("README commands")
struct ReadmeCommandTests {
  /// The README at the root of the package.
  static let readme: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
  }()

  /// The command the options of the Methods table go after.
  static let methodBase = "bonsai prune example.safetensors -o out.safetensors"

  /// The fenced code blocks of the README: (info string, lines).
  static func codeBlocks() -> [(info: String, lines: [String])] {
    var blocks = [(info: String, lines: [String])]()
    var current: (info: String, lines: [String])?
    for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("```") {
        if let block = current {
          blocks.append(block)
          current = nil
        } else {
          current = (String(line.dropFirst(3)), [])
        }
      } else {
        current?.lines.append(line)
      }
    }
    return blocks
  }

  /// The code spans of the Methods table that are a command or options, `\|` unescaped.
  static func methodCommands() -> [String] {
    guard let start = readme.range(of: "## Methods"),
      let end = readme.range(of: "How the conventions compare", range: start.upperBound ..< readme.endIndex)
    else { return [] }
    let rows = readme[start.upperBound ..< end.lowerBound].split(separator: "\n").filter { $0.hasPrefix("|") }
    return rows.flatMap { row in
      row.split(separator: "`", omittingEmptySubsequences: false).enumerated()
        .filter { $0.offset % 2 == 1 }
        .map { $0.element.replacingOccurrences(of: "\\|", with: "|") }
        .filter { $0.hasPrefix("bonsai ") || $0.hasPrefix("--") }
    }
  }

  /// Runs `script` with `sh -e` in `folder`, the built `bonsai` first on the PATH.
  func shell(_ script: String, in folder: String) throws -> ChildProcess.Result {
    var environment = ProcessInfo.processInfo.environment
    let binaryFolder = URL(fileURLWithPath: BonsaiProcess.binary).deletingLastPathComponent().path
    environment["PATH"] = binaryFolder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    return try BonsaiProcess.run(
      ["-ec", script], executable: "/bin/sh", in: folder, environment: environment)
  }

  @Test func everyCommandRunsAsWrittenOnTheDemoFiles() throws {
    let folder = try TemporaryDirectory()
    // The shell blocks with bonsai commands, whole; the one that makes DIR with the demo
    // runs first, wherever it stands.
    let blocks = Self.codeBlocks().filter { $0.info == "sh" && $0.lines.contains { $0.hasPrefix("bonsai ") } }
    let makesDemo = { (block: (info: String, lines: [String])) in
      block.lines.first?.hasPrefix("bonsai demo --folder DIR") == true
    }
    #expect(blocks.filter(makesDemo).count == 1)
    let scripts = blocks.filter(makesDemo) + blocks.filter { !makesDemo($0) }
    for script in scripts {
      let result = try shell(script.lines.joined(separator: "\n"), in: folder.path)
      #expect(result.status == 0, "\(script.lines.joined(separator: "\n"))\n\(result.standardError)")
    }
    let demoFolder = folder.file("DIR")
    for file in ["example.safetensors", "example-activations.safetensors", "example-gradients.safetensors"] {
      #expect(FileManager.default.fileExists(atPath: demoFolder + "/" + file), "\(file)")
    }

    // The demo's output as the README shows it: its commands run, and print those lines.
    let transcript = try #require(Self.codeBlocks().first { $0.lines.first?.hasPrefix("$ bonsai") == true })
    var printed = ""
    for command in transcript.lines where command.hasPrefix("$ ") {
      let result = try shell(String(command.dropFirst(2)), in: folder.path)
      #expect(result.status == 0, "\(command)\n\(result.standardError)")
      printed += result.standardOutput
    }
    let printedLines = Set(printed.split(separator: "\n").map(String.init))
    for line in transcript.lines where !line.hasPrefix("$ ") && !line.isEmpty
      && line.trimmingCharacters(in: .whitespaces) != "…"
    {
      #expect(printedLines.contains(line), "README line not printed: \(line)")
    }

    // The Methods table: the first command, then each row's options after the base command.
    let methods = Self.methodCommands()
    #expect(Self.readme.contains("`\(Self.methodBase)`"))
    #expect(methods.count >= 12, "\(methods)")
    for command in methods {
      let line = command.hasPrefix("bonsai ") ? command : Self.methodBase + " " + command
      let result = try shell(line, in: demoFolder)
      #expect(result.status == 0, "\(line)\n\(result.standardError)")
    }
  }
}
