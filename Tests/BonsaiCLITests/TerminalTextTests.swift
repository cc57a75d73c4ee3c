import Testing

@testable import bonsai

/// The escaping and the column cut themselves, scalar by scalar.
@Suite("terminal-safe text")
struct TerminalTextTests {
  @Test("controls, DEL, C1, format characters and separators are escaped; the rest is kept")
  func escapes() {
    #expect("a\u{1B}[2Jb\r\n\t\u{7}".terminalSafe() == "a\\u{1B}[2Jb\\r\\n\\t\\u{7}")
    #expect("\u{7F}\u{85}\u{9B}\u{202E}\u{2066}\u{200B}\u{2028}".terminalSafe()
      == "\\u{7F}\\u{85}\\u{9B}\\u{202E}\\u{2066}\\u{200B}\\u{2028}")
    #expect("model.layers.0.mlp.up_proj.weight → é ü 漢字 ×3".terminalSafe()
      == "model.layers.0.mlp.up_proj.weight → é ü 漢字 ×3")
    #expect("one\ntwo\u{1B}\n".terminalSafe(keepingLineBreaks: true) == "one\ntwo\\u{1B}\n")
  }

  @Test("a long cell keeps its start and end around an ellipsis, at the given width")
  func truncation() {
    let name = "model." + String(repeating: "x", count: 5000) + ".weight"
    let cut = name.truncated(toWidth: 72)
    #expect(cut.count == 72)
    #expect(cut.hasPrefix("model.xxx") && cut.hasSuffix("xxx.weight") && cut.contains("…"))
    #expect("short".truncated(toWidth: 72) == "short")
  }
}
