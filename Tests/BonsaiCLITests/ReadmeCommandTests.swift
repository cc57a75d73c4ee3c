import Foundation
import Testing
import TestSupport

/// Every command line of the README and of `docs/` runs as written on the files
/// `bonsai demo --folder DIR` writes, the demo's output they show is what the commands
/// print, and every relative link between the pages leads to a file and heading that exist.
@Suite("README and docs commands")
struct ReadmeCommandTests {
  /// The command the options of the Methods table go after.
  static let methodBase = "bonsai prune example.safetensors -o out.safetensors"

  /// The page that holds the Methods table.
  static let methodsPage = "docs/methods.md"

  /// The code spans of the Methods table that are a command or options, `\|` unescaped.
  static func methodCommands() -> [String] {
    guard let text = Documentation.page(methodsPage)?.text,
      let end = text.range(of: "How the conventions compare")
    else { return [] }
    let rows = text[..<end.lowerBound].split(separator: "\n").filter { $0.hasPrefix("|") }
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
    // The shell blocks with bonsai commands, whole, from every page; the one that makes DIR
    // with the demo runs first, wherever it stands.
    let blocks = Documentation.codeBlocks().filter {
      $0.info == "sh" && $0.lines.contains { $0.hasPrefix("bonsai ") }
    }
    let makesDemo = { (block: Documentation.CodeBlock) in
      block.lines.first?.hasPrefix("bonsai demo --folder DIR") == true
    }
    #expect(blocks.filter(makesDemo).count == 1)
    // The pages whose shell blocks run: a page moved or renamed must not pass by running
    // nothing.
    let pagesRun = Set(blocks.map(\.page))
    for page in ["docs/command-line.md", "docs/model-folders.md", "docs/sparsegpt-and-calibration.md"] {
      #expect(pagesRun.contains(page), "no shell block of \(page) ran")
    }
    #expect(blocks.count >= 3, "\(blocks.count) shell blocks")
    let scripts = blocks.filter(makesDemo) + blocks.filter { !makesDemo($0) }
    for script in scripts {
      let result = try shell(script.lines.joined(separator: "\n"), in: folder.path)
      #expect(
        result.status == 0,
        "\(script.page):\n\(script.lines.joined(separator: "\n"))\n\(result.standardError)")
    }
    let demoFolder = folder.file("DIR")
    for file in ["example.safetensors", "example-activations.safetensors", "example-gradients.safetensors"] {
      #expect(FileManager.default.fileExists(atPath: demoFolder + "/" + file), "\(file)")
    }

    // The demo's output as the README shows it: its commands run, and print those lines.
    let transcripts = Documentation.codeBlocks().filter { $0.lines.first?.hasPrefix("$ bonsai") == true }
    #expect(transcripts.map(\.page).contains("README.md"))
    for transcript in transcripts {
      var printed = ""
      for command in transcript.lines where command.hasPrefix("$ ") {
        let result = try shell(String(command.dropFirst(2)), in: folder.path)
        #expect(result.status == 0, "\(transcript.page): \(command)\n\(result.standardError)")
        printed += result.standardOutput
      }
      let printedLines = Set(printed.split(separator: "\n").map(String.init))
      for line in transcript.lines where !line.hasPrefix("$ ") && !line.isEmpty
        && line.trimmingCharacters(in: .whitespaces) != "…"
      {
        #expect(printedLines.contains(line), "\(transcript.page): line not printed: \(line)")
      }
    }

    // The Methods table: the first command, then each row's options after the base command.
    let methods = Self.methodCommands()
    #expect(Documentation.page(Self.methodsPage)?.text.contains("`\(Self.methodBase)`") == true)
    #expect(methods.count >= 12, "\(methods)")
    for command in methods {
      let line = command.hasPrefix("bonsai ") ? command : Self.methodBase + " " + command
      let result = try shell(line, in: demoFolder)
      #expect(result.status == 0, "\(line)\n\(result.standardError)")
    }
  }

  @Test func everyRelativeLinkLeadsToAFileAndHeadingThatExist() throws {
    let pages = Documentation.pages
    // README.md and at least the nine topic pages and the index of docs/.
    #expect(pages.count >= 11, "\(pages.map(\.path))")
    var checked = 0
    for page in pages {
      let folder = Documentation.root.appendingPathComponent(page.path).deletingLastPathComponent()
      for link in page.relativeLinks {
        let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = parts[0].isEmpty
          ? Documentation.root.appendingPathComponent(page.path)
          : folder.appendingPathComponent(String(parts[0]))
        #expect(FileManager.default.fileExists(atPath: file.path), "\(page.path): \(link)")
        if parts.count == 2 {
          let relative = file.standardizedFileURL.path
            .replacingOccurrences(of: Documentation.root.standardizedFileURL.path + "/", with: "")
          let target = try #require(Documentation.page(relative), "\(page.path): \(link)")
          #expect(target.anchors.contains(String(parts[1])), "\(page.path): \(link)")
        }
        checked += 1
      }
    }
    // The README links every page of docs/.
    let readmeLinks = Set(Documentation.page("README.md")?.relativeLinks ?? [])
    for page in pages where page.path.hasPrefix("docs/") {
      #expect(readmeLinks.contains { $0.hasPrefix(page.path) }, "README.md does not link \(page.path)")
    }
    #expect(checked >= 20, "\(checked) links")
  }
}
