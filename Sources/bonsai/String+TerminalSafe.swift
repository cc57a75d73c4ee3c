/// Text from a checkpoint (tensor names, metadata, paths, library error messages) printed to
/// a terminal or a log: a name holding ESC, CR or a line feed could otherwise clear the
/// screen, set the window title, or forge a line ("pruned 0 of 2 tensors; all good").
/// Control characters (C0, DEL, C1), Unicode format characters (bidi overrides, zero-width
/// joiners) and line and paragraph separators are written as visible escapes: `\n`, `\r`,
/// `\t`, and `\u{1B}` for the rest. JSON output escapes by itself and is printed as is.
extension String {
  /// The text with every control and format character escaped; line feeds too unless
  /// `keepingLineBreaks` (for a text of several lines whose parts were escaped already).
  func terminalSafe(keepingLineBreaks: Bool = false) -> String {
    let unsafe = { (scalar: Unicode.Scalar) in
      scalar.isTerminalControl && !(keepingLineBreaks && scalar == "\n")
    }
    guard unicodeScalars.contains(where: unsafe) else { return self }
    var safe = String.UnicodeScalarView()
    for scalar in unicodeScalars {
      if unsafe(scalar) {
        safe.append(contentsOf: scalar.terminalEscape.unicodeScalars)
      } else {
        safe.append(scalar)
      }
    }
    return String(safe)
  }

  /// The text cut to at most `width` characters for a table column: the start and the end
  /// kept (where tensor names differ), an ellipsis between them.
  func truncated(toWidth width: Int) -> String {
    guard count > width, width > 1 else { return self }
    let head = (width - 1) / 2
    return String(prefix(head)) + "…" + String(suffix(width - 1 - head))
  }
}

extension Unicode.Scalar {
  /// Whether a terminal may act on the scalar instead of showing it.
  fileprivate var isTerminalControl: Bool {
    switch properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator: true
    default: false
    }
  }

  /// The scalar as the escape a reader recognises.
  fileprivate var terminalEscape: String {
    switch self {
    case "\n": "\\n"
    case "\r": "\\r"
    case "\t": "\\t"
    default: "\\u{\(String(value, radix: 16, uppercase: true))}"
    }
  }
}
