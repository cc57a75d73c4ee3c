// A strict pull reader for JSON (RFC 8259), written because Foundation's parsers are too
// forgiving for a file format: they cannot tell `1e3` from `1000`, and they silently keep
// one of two duplicate keys.
//
// The reader has no document tree: the header parser pulls exactly the values it expects
// and stops at the first one that is wrong. Memory stays proportional to what is kept, and
// nesting never goes deeper than the header schema (object → entry → array, depth 3), so no
// input can exhaust the stack. Every read checks the position against the end first.
//
// The input must already be valid UTF-8 (see `firstInvalidUTF8Index(in:)`).

/// The kind of JSON value, named for messages such as "found an array".
enum JSONKind: String {
  case object = "an object"
  case array = "an array"
  case string = "a string"
  case number = "a number"
  case boolean = "a boolean"
  case null = "null"
}

/// A JSON number exactly as written, with the features that make it more than a plain
/// non-negative integer.
struct JSONNumber {
  /// The number's text, e.g. `-12.5e3`.
  let text: String
  /// Written with a leading minus sign (`-0` included).
  let isNegative: Bool
  /// Written with a decimal point (`1.0` included).
  let hasFraction: Bool
  /// Written with an exponent (`1e3` included).
  let hasExponent: Bool

  /// The value of a number written as plain digits, or nil when it is 2^64 or more.
  /// Meaningful only when the number is not negative and has no fraction or exponent.
  var unsignedValue: UInt64? {
    var value: UInt64 = 0
    for digit in text.utf8 {
      let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit &- UInt8(ascii: "0")))
      if overflow1 || overflow2 { return nil }
      value = sum
    }
    return value
  }
}

/// Reads JSON values one token at a time from a buffer of UTF-8 bytes.
struct JSONReader {
  private let bytes: UnsafeBufferPointer<UInt8>
  private var position = 0
  private let path: String
  private let baseOffset: Int

  /// - Parameters:
  ///   - bytes: Valid UTF-8.
  ///   - path: The file, for error messages.
  ///   - baseOffset: The file offset of `bytes[0]`, so that errors give file offsets.
  init(bytes: UnsafeBufferPointer<UInt8>, path: String, baseOffset: Int) {
    self.bytes = bytes
    self.path = path
    self.baseOffset = baseOffset
  }

  /// A syntax error at `index` (default: the current position).
  func syntaxError(_ problem: String, at index: Int? = nil) -> SafeTensorsError {
    .invalidJSON(path: path, offset: baseOffset + (index ?? position), problem: problem)
  }

  private func peek() -> UInt8? {
    position < bytes.count ? bytes[position] : nil
  }

  private mutating func skipWhitespace() {
    while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
      position += 1
    }
  }

  /// Skips whitespace and says what kind of value starts next, without consuming it.
  /// Literals (`true`, `false`, `null`) are checked in full.
  mutating func kindOfNextValue() throws(SafeTensorsError) -> JSONKind {
    skipWhitespace()
    guard let byte = peek() else {
      throw syntaxError("unexpected end of header, expected a value")
    }
    switch byte {
    case UInt8(ascii: "{"): return .object
    case UInt8(ascii: "["): return .array
    case UInt8(ascii: "\""): return .string
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
    case UInt8(ascii: "t"):
      try checkLiteral("true")
      return .boolean
    case UInt8(ascii: "f"):
      try checkLiteral("false")
      return .boolean
    case UInt8(ascii: "n"):
      try checkLiteral("null")
      return .null
    default:
      throw syntaxError("unexpected \(describe(byte)), expected a value")
    }
  }

  private func checkLiteral(_ literal: StaticString) throws(SafeTensorsError) {
    let count = literal.utf8CodeUnitCount
    let matches =
      bytes.count - position >= count
      && (0..<count).allSatisfy { bytes[position + $0] == literal.utf8Start[$0] }
    if !matches { throw syntaxError("invalid literal, expected \(literal)") }
  }

  /// Consumes the `null` that `kindOfNextValue()` reported (and checked).
  mutating func skipNull() {
    precondition(peek() == UInt8(ascii: "n"), "skipNull() without a null")
    position += 4
  }

  /// Consumes the `{` that `kindOfNextValue()` reported.
  mutating func beginObject() {
    precondition(peek() == UInt8(ascii: "{"), "beginObject() without an object")
    position += 1
  }

  /// Reads up to and including the `:` of the next member and returns its key, or consumes
  /// the closing `}` and returns nil. The caller must read the member's value before asking
  /// for the next key. `isFirst` starts true and is maintained by this method.
  mutating func nextKey(isFirst: inout Bool) throws(SafeTensorsError) -> String? {
    skipWhitespace()
    if peek() == UInt8(ascii: "}") {
      position += 1
      return nil
    }
    if !isFirst {
      guard peek() == UInt8(ascii: ",") else {
        throw syntaxError("expected ',' or '}' after an object member, found \(describeNext())")
      }
      position += 1
      skipWhitespace()
    }
    guard peek() == UInt8(ascii: "\"") else {
      let expected = isFirst ? "a string key or '}'" : "a string key after ','"
      throw syntaxError("expected \(expected), found \(describeNext())")
    }
    isFirst = false
    let key = try readString()
    skipWhitespace()
    guard peek() == UInt8(ascii: ":") else {
      throw syntaxError("expected ':' after an object key, found \(describeNext())")
    }
    position += 1
    return key
  }

  /// Consumes the `[` that `kindOfNextValue()` reported.
  mutating func beginArray() {
    precondition(peek() == UInt8(ascii: "["), "beginArray() without an array")
    position += 1
  }

  /// Moves to the next element and returns true, or consumes the closing `]` and returns
  /// false. The caller must read the element before asking for the next one.
  mutating func nextElement(isFirst: inout Bool) throws(SafeTensorsError) -> Bool {
    skipWhitespace()
    if peek() == UInt8(ascii: "]") {
      position += 1
      return false
    }
    if !isFirst {
      guard peek() == UInt8(ascii: ",") else {
        throw syntaxError("expected ',' or ']' after an array element, found \(describeNext())")
      }
      position += 1
      skipWhitespace()
      if peek() == UInt8(ascii: "]") { throw syntaxError("expected a value after ',', found ']'") }
    }
    isFirst = false
    return true
  }

  /// Reads a string (the next value must be one), decoding escapes. Rejects unescaped
  /// control characters, unknown escapes and unpaired surrogates.
  mutating func readString() throws(SafeTensorsError) -> String {
    precondition(peek() == UInt8(ascii: "\""), "readString() without a string")
    let opening = position
    position += 1
    var decoded: [UInt8] = []
    var hasEscapes = false
    var runStart = position
    while true {
      guard let byte = peek() else {
        throw syntaxError("unterminated string", at: opening)
      }
      switch byte {
      case UInt8(ascii: "\""):
        let run = UnsafeBufferPointer(rebasing: bytes[runStart..<position])
        position += 1
        if !hasEscapes { return String(decoding: run, as: UTF8.self) }
        decoded.append(contentsOf: run)
        return String(decoding: decoded, as: UTF8.self)
      case UInt8(ascii: "\\"):
        hasEscapes = true
        decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
        try readEscape(into: &decoded)
        runStart = position
      case 0..<0x20:
        throw syntaxError("control character U+\(hex4(UInt32(byte))) must be escaped in a string")
      default:
        position += 1
      }
    }
  }

  /// Decodes the escape sequence at the current `\` and appends its UTF-8 bytes.
  private mutating func readEscape(into decoded: inout [UInt8]) throws(SafeTensorsError) {
    let start = position
    position += 1
    guard let letter = peek() else { throw syntaxError("unterminated escape", at: start) }
    position += 1
    let simple: UInt8?
    switch letter {
    case UInt8(ascii: "\""): simple = 0x22
    case UInt8(ascii: "\\"): simple = 0x5C
    case UInt8(ascii: "/"): simple = 0x2F
    case UInt8(ascii: "b"): simple = 0x08
    case UInt8(ascii: "f"): simple = 0x0C
    case UInt8(ascii: "n"): simple = 0x0A
    case UInt8(ascii: "r"): simple = 0x0D
    case UInt8(ascii: "t"): simple = 0x09
    case UInt8(ascii: "u"): simple = nil
    default: throw syntaxError("invalid escape '\\\(describeRaw(letter))'", at: start)
    }
    if let simple {
      decoded.append(simple)
      return
    }
    var value = UInt32(try readHex4(escapeStart: start))
    switch value {
    case 0xD800...0xDBFF:
      let lowStart = position
      guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
        bytes[position + 1] == UInt8(ascii: "u")
      else {
        throw syntaxError("unpaired high surrogate \\u\(hex4(value)) in a string", at: start)
      }
      position += 2
      let low = UInt32(try readHex4(escapeStart: lowStart))
      guard (0xDC00...0xDFFF).contains(low) else {
        throw syntaxError(
          "high surrogate \\u\(hex4(value)) followed by \\u\(hex4(low)), not a low surrogate",
          at: start)
      }
      value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
    case 0xDC00...0xDFFF:
      throw syntaxError("unpaired low surrogate \\u\(hex4(value)) in a string", at: start)
    default:
      break
    }
    guard let scalar = Unicode.Scalar(value) else {
      throw syntaxError("invalid code point in escape", at: start)
    }
    decoded.append(contentsOf: scalar.utf8)
  }

  private mutating func readHex4(escapeStart: Int) throws(SafeTensorsError) -> UInt16 {
    var value: UInt16 = 0
    for _ in 0..<4 {
      guard let byte = peek(), let digit = hexValue(byte) else {
        throw syntaxError("\\u must be followed by 4 hexadecimal digits", at: escapeStart)
      }
      value = value << 4 | UInt16(digit)
      position += 1
    }
    return value
  }

  /// Reads a number (the next value must be one), checking the JSON grammar: no leading
  /// zeros, no `+`, digits after `.` and in the exponent.
  mutating func readNumber() throws(SafeTensorsError) -> JSONNumber {
    let start = position
    let isNegative = peek() == UInt8(ascii: "-")
    if isNegative { position += 1 }
    guard let first = peek(), isDigit(first) else {
      throw syntaxError("expected a digit after '-'", at: start)
    }
    position += 1
    if first == UInt8(ascii: "0") {
      if let next = peek(), isDigit(next) {
        throw syntaxError("numbers must not have leading zeros", at: start)
      }
    } else {
      skipDigits()
    }
    var hasFraction = false
    if peek() == UInt8(ascii: ".") {
      position += 1
      guard let digit = peek(), isDigit(digit) else {
        throw syntaxError("expected a digit after the decimal point")
      }
      skipDigits()
      hasFraction = true
    }
    var hasExponent = false
    if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
      position += 1
      if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
      guard let digit = peek(), isDigit(digit) else {
        throw syntaxError("expected a digit in the exponent")
      }
      skipDigits()
      hasExponent = true
    }
    let text = String(
      decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]),
      as: UTF8.self)
    return JSONNumber(
      text: text, isNegative: isNegative, hasFraction: hasFraction, hasExponent: hasExponent)
  }

  private mutating func skipDigits() {
    while let byte = peek(), isDigit(byte) { position += 1 }
  }

  /// Checks that nothing but whitespace follows the top-level value.
  mutating func expectEnd() throws(SafeTensorsError) {
    skipWhitespace()
    if peek() != nil {
      throw syntaxError("unexpected \(describeNext()) after the header's JSON object")
    }
  }

  private func describeNext() -> String {
    peek().map(describe) ?? "end of header"
  }
}

private func isDigit(_ byte: UInt8) -> Bool {
  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
  switch byte {
  case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
  case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
  case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
  default: nil
  }
}

private func hex4(_ value: UInt32) -> String {
  let digits = String(value, radix: 16, uppercase: true)
  return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// `'x'` for printable ASCII, `byte 0xC3` otherwise.
private func describe(_ byte: UInt8) -> String {
  (0x21..<0x7F).contains(byte) ? "'\(describeRaw(byte))'" : "byte 0x\(hex2(byte))"
}

private func describeRaw(_ byte: UInt8) -> String {
  (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x\(hex2(byte))"
}

private func hex2(_ byte: UInt8) -> String {
  let digits = String(byte, radix: 16, uppercase: true)
  return digits.count == 1 ? "0" + digits : digits
}
