import Foundation

/// The README and the pages of `docs/`, read as the tests need them: their fenced code
/// blocks, headings and relative links.
struct Documentation {
  /// One Markdown file of the package.
  struct Page {
    /// The path from the package root (`README.md`, `docs/methods.md`).
    let path: String
    /// The whole text.
    let text: String
  }

  /// A fenced code block.
  struct CodeBlock {
    /// The path of the page it is on.
    let page: String
    /// What follows the opening fence (`sh`, `c`, or nothing).
    let info: String
    /// The lines between the fences.
    let lines: [String]
  }

  /// The package root, three folders above this file.
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// `README.md`, then every `docs/*.md` in name order; a file that cannot be read is left
  /// out, which the tests' minimum counts catch.
  static let pages: [Page] = {
    let docs = (try? FileManager.default.contentsOfDirectory(
      atPath: root.appendingPathComponent("docs").path)) ?? []
    let paths = ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    return paths.compactMap { path in
      (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))
        .map { Page(path: path, text: $0) }
    }
  }()

  /// The page at `path`, if it was read.
  static func page(_ path: String) -> Page? {
    pages.first { $0.path == path }
  }

  /// The fenced code blocks of every page, in page order.
  static func codeBlocks() -> [CodeBlock] {
    pages.flatMap { page in
      page.partition().blocks.map { CodeBlock(page: page.path, info: $0.info, lines: $0.lines) }
    }
  }
}

extension Documentation.Page {
  /// The lines outside code blocks, and the code blocks: a line that opens with a fence
  /// starts a block and the next one ends it, so a shell comment inside a block is never
  /// taken for a heading, nor a link in a block for a link.
  func partition() -> (prose: [String], blocks: [(info: String, lines: [String])]) {
    var prose = [String]()
    var blocks = [(info: String, lines: [String])]()
    var current: (info: String, lines: [String])?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("```") {
        if let block = current {
          blocks.append(block)
          current = nil
        } else {
          current = (String(line.dropFirst(3)), [])
        }
      } else if current != nil {
        current?.lines.append(line)
      } else {
        prose.append(line)
      }
    }
    return (prose, blocks)
  }

  /// The anchors GitHub gives the page's headings: lowercased, every character but letters,
  /// digits, `-`, `_` and spaces dropped, spaces made `-`.
  var anchors: Set<String> {
    Set(partition().prose.filter { $0.hasPrefix("#") }.map { line in
      let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
      return String(title.unicodeScalars.compactMap { scalar -> Character? in
        if scalar == " " { return "-" }
        let kept = CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_"
        return kept ? Character(scalar) : nil
      })
    })
  }

  /// The targets of the page's Markdown links (`[text](target)`) outside code blocks and
  /// code spans that are not web addresses.
  var relativeLinks: [String] {
    let prose = partition().prose.joined(separator: "\n")
      .split(separator: "`", omittingEmptySubsequences: false).enumerated()
      .filter { $0.offset % 2 == 0 }.map(\.element).joined(separator: " ")
    var targets = [String]()
    var rest = prose[...]
    while let open = rest.range(of: "](") {
      guard let close = rest[open.upperBound...].firstIndex(of: ")") else { break }
      let target = String(rest[open.upperBound ..< close])
      if !target.contains("://") && !target.hasPrefix("mailto:") {
        targets.append(target)
      }
      rest = rest[close...]
    }
    return targets
  }
}
