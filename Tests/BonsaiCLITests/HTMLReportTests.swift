import Foundation
import SafeTensors
import Testing
import TestSupport

/// The parts of an HTML report a test reads: the embedded JSON report, the cards, the rows'
/// data attributes and the pictures' JSON blocks.
struct HTMLPage {
  let html: String

  init(path: String) throws {
    html = try String(contentsOfFile: path, encoding: .utf8)
  }

  /// The text of every match of `pattern`'s first capture.
  func captures(_ pattern: String) throws -> [[String]] {
    let regex = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
    let range = NSRange(html.startIndex..., in: html)
    return regex.matches(in: html, range: range).map { match in
      (1 ..< match.numberOfRanges).map { index in
        Range(match.range(at: index), in: html).map { String(html[$0]) } ?? ""
      }
    }
  }

  /// The JSON report embedded in the page, as written (script escapes undone).
  func embeddedReport() throws -> String {
    let blocks = try captures(#"<script type="application/json" id="bonsai-report">(.*?)</script>"#)
    #expect(blocks.count == 1)
    return (blocks.first?.first ?? "").replacingOccurrences(of: "<\\/", with: "</")
  }

  /// The cards' JSON field names and exact values.
  func cards() throws -> [String: String] {
    Dictionary(uniqueKeysWithValues: try captures(#"data-field="([a-z_]+)" data-value="([^"]*)""#).map { ($0[0], $0[1]) })
  }

  /// Each tensor line's data attributes, by tensor name.
  func rows() throws -> [String: [String: String]] {
    var rows = [String: [String: String]]()
    for tag in try captures(#"<(?:details|div) class="tensor[^"]*"([^>]*)>"#) {
      let attributes = try HTMLPage(html: tag[0]).captures(#"data-([a-z-]+)="([^"]*)""#)
      let values = Dictionary(uniqueKeysWithValues: attributes.map { ($0[0], $0[1]) })
      rows[values["name", default: ""]] = values
    }
    return rows
  }

  /// The pictures' JSON, by the index of their tensor in the report.
  func pictures() throws -> [Int: [String: Any]] {
    var pictures = [Int: [String: Any]]()
    for block in try captures(#"<script type="application/json" id="picture-(\d+)">(.*?)</script>"#) {
      let object = try JSONSerialization.jsonObject(with: Data(block[1].utf8))
      pictures[Int(block[0]) ?? -1] = object as? [String: Any]
    }
    return pictures
  }

  private init(html: String) {
    self.html = html
  }
}

@Suite("HTML reports: the JSON report's numbers, pictures of the written tensors")
struct HTMLReportTests {
  /// Three transformer layers of two roles, an embedding and a norm, in random weights.
  func layeredCheckpoint(in folder: TemporaryDirectory) throws -> String {
    let path = folder.file("model.safetensors")
    var generator = SeededGenerator(seed: 15)
    var floats: [(String, [Int], [Float])] = [("model.embed_tokens.weight", [20, 16], generator.floats(320))]
    for layer in 0 ..< 3 {
      floats.append(("model.layers.\(layer).self_attn.q_proj.weight", [16, 16], generator.floats(256)))
      floats.append(("model.layers.\(layer).mlp.up_proj.weight", [40, 16], generator.floats(640, in: -2 ... 2)))
    }
    floats.append(("model.norm.weight", [16], generator.floats(16)))
    try writeCheckpoint(path, floats: floats)
    return path
  }

  /// Runs `bonsai` and expects it to succeed.
  @discardableResult
  func bonsai(_ arguments: [String]) throws -> ChildProcess.Result {
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == 0, "\(result.standardError)")
    return result
  }

  /// `fraction` as a percentage with two decimals, halves rounded away from zero: `40.63%`.
  func percent(_ fraction: Double) -> String {
    let hundredths = Int((fraction * 10_000).rounded())
    return "\(hundredths / 100)." + String(format: "%02d", hundredths % 100) + "%"
  }

  /// The JSON object in `text`.
  func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func thePagesNumbersAreTheJSONReports() throws {
    let folder = try TemporaryDirectory()
    let input = try layeredCheckpoint(in: folder)
    let (json, html) = (folder.file("report.json"), folder.file("report.html"))
    try bonsai([
      "prune", input, "-o", folder.file("out.safetensors"), "--scope", "global", "--sparsity", "0.6",
      "--report", json, "--report-html", html, "--quiet",
    ])
    let page = try HTMLPage(path: html)
    let written = try String(contentsOfFile: json, encoding: .utf8)
    #expect(
      try page.embeddedReport() + "\n" == written,
      "the page embeds the JSON report as --report wrote it (which ends its last line)")

    let report = try object(written)
    let cards = try page.cards()
    #expect(cards["total_params"].flatMap(Int.init) == report["total_params"] as? Int)
    #expect(cards["total_nonzero"].flatMap(Int.init) == report["total_nonzero"] as? Int)
    #expect(cards["overall_sparsity"].flatMap(Double.init) == report["overall_sparsity"] as? Double)
    #expect(page.html.contains("<b>\(percent(report["overall_sparsity"] as? Double ?? -1))</b>"))

    let tensors = try #require(report["tensors"] as? [[String: Any]])
    let rows = try page.rows()
    #expect(rows.count == tensors.count)
    var sparsities = Set<Double>()
    for tensor in tensors {
      let name = try #require(tensor["name"] as? String)
      let row = try #require(rows[name], "a line for \(name)")
      #expect(row["sparsity"].flatMap(Double.init) == tensor["sparsity"] as? Double, "\(name)")
      #expect(row["nonzero-params"].flatMap(Int.init) == tensor["nonzero_params"] as? Int, "\(name)")
      #expect(row["total-params"].flatMap(Int.init) == tensor["total_params"] as? Int, "\(name)")
      sparsities.insert(tensor["sparsity"] as? Double ?? -1)
      let bar = try page.captures(#"<title>\#(name)\n(sparsity [^<]*)</title>"#)
      if tensor["pruned"] as? Bool == true {
        let sparsity = percent(tensor["sparsity"] as? Double ?? -1)
        let counts = "\(tensor["nonzero_params"] as? Int ?? -1) of \(tensor["total_params"] as? Int ?? -1)"
        #expect(bar.count == 2, "a bar and a point for \(name)")
        #expect(bar.allSatisfy { $0 == ["sparsity \(sparsity): \(counts) weights nonzero"] }, "\(bar)")
      } else {
        #expect(bar.isEmpty, "\(name) is not charted")
      }
    }
    #expect(sparsities.count > 3, "a global ranking gives tensors different sparsities")
    #expect(page.html.contains("Sparsity across depth"), "three layers are drawn as lines")
    #expect(page.html.contains("<dt>scope</dt><dd>global</dd>"))
    #expect(page.html.contains("<dt>sparsity</dt><dd>0.6</dd>"))
  }

  @Test func picturesDescribeTheTensorsAsReadAndWritten() throws {
    let folder = try TemporaryDirectory()
    let input = try layeredCheckpoint(in: folder)
    let (output, html) = (folder.file("out.safetensors"), folder.file("report.html"))
    try bonsai(["prune", input, "-o", output, "--sparsity", "0.5", "--report-html", html, "--quiet"])
    let page = try HTMLPage(path: html)
    let pictures = try page.pictures()
    let names = try SafeTensorsFile(path: input).tensors.map(\.name)
    #expect(Set(pictures.keys) == Set(names.indices.filter { names[$0].contains(".layers.") }))
    for (index, picture) in pictures {
      let name = names[index]
      let values = try readFloats(output, name)
      let columns = 16
      let rows = values.count / columns
      let nonzero = values.filter { $0 != 0 }.count

      let after = try #require(picture["after"] as? [String: Any])
      let before = try #require(picture["before"] as? [String: Any])
      let sum = { (histogram: [String: Any]) in
        (histogram["zeros"] as? Int ?? 0) + (histogram["counts"] as? [Int] ?? []).reduce(0, +)
      }
      #expect(after["zeros"] as? Int == values.count - nonzero, "\(name)")
      #expect(sum(after) == values.count)
      #expect(before["zeros"] as? Int == 0, "the input is dense")
      #expect(sum(before) == values.count)

      let grid = try #require(picture["grid"] as? [String: Any])
      #expect(grid["rows"] as? Int == rows && grid["columns"] as? Int == columns)
      #expect(grid["cellRows"] as? Int == rows && grid["cellColumns"] as? Int == columns, "one cell per weight")
      let density = try #require(Data(base64Encoded: grid["density"] as? String ?? ""))
      #expect(Array(density) == values.map { $0 == 0 ? 0 : 255 }, "small matrices are drawn exactly")

      let patch = try #require(picture["patch"] as? [String: Any])
      let words = try #require(patch["words"] as? [String])
      #expect(words.count == min(rows, 32) && patch["columns"] as? Int == columns)
      for (row, word) in words.enumerated() {
        let bits = try #require(UInt64(word, radix: 16))
        for column in 0 ..< columns {
          #expect((bits >> UInt64(column) & 1 == 1) == (values[row * columns + column] != 0))
        }
      }
      let profile = try #require(picture["rows"] as? [String: Any])
      #expect(profile["empty"] as? Int == 0 && profile["full"] as? Int == 0)
      #expect((profile["partial"] as? [Int] ?? []).reduce(0, +) == rows)
    }
  }

  @Test(arguments: [
    (["--granularity", "2:4"], "N:M"), (["--granularity", "rows", "--sparsity", "0.5"], "rows"),
  ])
  func structureShowsInThePictures(options: [String], kind: String) throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("big.safetensors")
    var generator = SeededGenerator(seed: 3)
    try writeCheckpoint(input, floats: [("layers.0.mlp.up_proj.weight", [200, 96], generator.floats(19_200))])
    let html = folder.file("report.html")
    try bonsai(["prune", input, "-o", folder.file("out.safetensors"), "--report-html", html, "--quiet"] + options)
    let picture = try #require(try HTMLPage(path: html).pictures()[0])
    let grid = try #require(picture["grid"] as? [String: Any])
    #expect(grid["cellRows"] as? Int == 64 && grid["cellColumns"] as? Int == 64, "down-sampled")
    let rows = try #require(picture["rows"] as? [String: Any])
    let words = try #require((picture["patch"] as? [String: Any])?["words"] as? [String])
    #expect(words.count == 32)
    if kind == "N:M" {
      #expect(rows["partial"] as? [Int] == [0, 0, 0, 0, 0, 200, 0, 0, 0, 0], "every row keeps half")
      for word in words {
        let bits = try #require(UInt64(word, radix: 16))
        for group in 0 ..< 16 { #expect((bits >> UInt64(4 * group) & 0xF).nonzeroBitCount == 2) }
      }
    } else {
      #expect(rows["empty"] as? Int == 100 && rows["full"] as? Int == 100, "rows are pruned whole")
      #expect(words.allSatisfy { $0 == "0000000000000000" || $0 == "ffffffffffffffff" })
    }
  }

  @Test func checkpointReportPageIsBonsaiReportsJSON() throws {
    let folder = try TemporaryDirectory()
    let input = try layeredCheckpoint(in: folder)
    let pruned = folder.file("pruned.safetensors")
    try bonsai(["prune", input, "-o", pruned, "--granularity", "2:4", "--quiet"])
    let html = folder.file("report.html")
    let json = try bonsai(["report", pruned, "--json", "--html", html]).standardOutput
    let page = try HTMLPage(path: html)
    #expect(try page.embeddedReport() + "\n" == json, "the page embeds what --json prints")
    let tensors = try #require(try object(json)["tensors"] as? [[String: Any]])
    let rows = try page.rows()
    for tensor in tensors {
      let row = try #require(rows[tensor["name"] as? String ?? ""])
      #expect(row["sparsity"].flatMap(Double.init) == tensor["sparsity"] as? Double)
      #expect(row["nonzero-params"].flatMap(Int.init) == tensor["nonzero_params"] as? Int)
    }
    let pictures = try page.pictures()
    #expect(pictures.count == 7, "every matrix is pictured, the norm is not")
    #expect(pictures.values.allSatisfy { $0["before"] == nil }, "a checkpoint has no before")
    #expect(page.html.contains("<dt>bonsai.method</dt><dd>l1 2:4</dd>"), "the checkpoint's metadata")
    #expect(page.html.contains("<em>median |w|</em>"))
  }

  @Test func aFolderPrunesPageDrawsEveryPrunedTensor() throws {
    let folder = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(folder.file("m"), shards: 2)
    let html = folder.file("prune.html")
    let json = folder.file("prune.json")
    try bonsai(["prune", folder.file("m"), "-o", folder.file("out"), "--report", json, "--report-html", html, "--quiet"])
    let tensors = try #require(try object(String(contentsOfFile: json, encoding: .utf8))["tensors"] as? [[String: Any]])
    let pruned = Set(tensors.indices.filter { tensors[$0]["pruned"] as? Bool == true })
    #expect(!pruned.isEmpty)
    #expect(Set(try HTMLPage(path: html).pictures().keys) == pruned, "every pruned tensor of every shard is pictured")
  }

  @Test func thePageFetchesNothing() throws {
    let folder = try TemporaryDirectory()
    let input = try layeredCheckpoint(in: folder)
    let html = folder.file("report.html")
    try bonsai(["report", input, "--html", html])
    let text = try String(contentsOfFile: html, encoding: .utf8)
    for reference in ["src=", "href=", "<link", "@import", "url(", "fetch(", "XMLHttpRequest", "@font-face"] {
      #expect(!text.contains(reference), "\(reference)")
    }
    let addresses = try HTMLPage(path: html).captures(#"(https?://[^"'\s]*)"#).map { $0[0] }
    #expect(Set(addresses) == ["http://www.w3.org/2000/svg"], "the SVG namespace is the only address")
  }

  @Test func refusesToWriteTheHTMLOverAnotherFile() throws {
    let folder = try TemporaryDirectory()
    let input = try layeredCheckpoint(in: folder)
    let inputBytes = try Data(contentsOf: URL(fileURLWithPath: input))
    let output = folder.file("out.safetensors")
    let json = folder.file("report.json")
    for (html, words) in [
      (input, "--report-html \(input) is the input file"),
      (output, "-o and --report-html name the same file"),
      (json, "--report and --report-html name the same file"),
    ] {
      let result = try BonsaiProcess.run([
        "prune", input, "-o", output, "--report", json, "--report-html", html, "--quiet",
      ])
      #expect(result.status == 64)
      #expect(result.standardError.contains(words), "\(result.standardError)")
    }
    let report = try BonsaiProcess.run(["report", input, "--html", input])
    #expect(report.status == 64)
    #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == inputBytes)
    #expect(try folder.entries() == ["model.safetensors"], "nothing written")
  }
}
