import Foundation

/// A model folder's `config.json`, read for the sizes it declares and rewritten with new
/// ones byte for byte otherwise: only the digits of the changed values change, so every other
/// key, its order, spacing and number formatting stay as the author wrote them.
public struct ModelConfig: Sendable {
  /// The file as read.
  public let bytes: [UInt8]
  /// The top-level members whose values are non-negative integers, with where their digits
  /// are in `bytes`.
  private let integers: [String: Range<Int>]

  /// Reads the sizes of a config.
  ///
  /// - Throws: ``ModelFolderError/invalidConfig(path:problem:)`` when `bytes` is not a JSON
  ///   object in UTF-8 (transformers writes UTF-8; Foundation would also read UTF-16 and
  ///   UTF-32, whose bytes the size scan cannot follow).
  public init(bytes: [UInt8], path: String) throws(ModelFolderError) {
    // JSON has no raw NUL: zeros are UTF-16 or UTF-32 without a byte-order mark.
    guard !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil else {
      throw .invalidConfig(path: path, problem: "not UTF-8 text")
    }
    let parsed: Any
    do {
      parsed = try JSONSerialization.jsonObject(with: Data(bytes))
    } catch {
      throw .invalidConfig(path: path, problem: "not valid JSON (\(JSONProblem.describe(error)))")
    }
    guard parsed is [String: Any] else {
      throw .invalidConfig(path: path, problem: "not a JSON object")
    }
    self.bytes = bytes
    integers = Self.topLevelIntegers(bytes)
  }

  /// The top-level integer members: `"intermediate_size": 14336` and the like.
  public var sizes: [String: Int] {
    integers.compactMapValues { range in Int(String(decoding: bytes[range], as: UTF8.self)) }
  }

  /// The config with the top-level integer members named in `values` set to the given
  /// values (names that are not top-level integers are ignored).
  public func replacing(_ values: [String: Int]) -> [UInt8] {
    var result = bytes
    let edits = values.compactMap { name, value in integers[name].map { ($0, value) } }
    for (range, value) in edits.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
      result.replaceSubrange(range, with: Array(String(value).utf8))
    }
    return result
  }

  /// Scans valid JSON for the members of the outermost object whose values are plain
  /// non-negative integers (no sign, fraction or exponent); never reads past the end,
  /// whatever `bytes` holds.
  private static func topLevelIntegers(_ bytes: [UInt8]) -> [String: Range<Int>] {
    var found = [String: Range<Int>]()
    var depth = 0
    var position = 0
    var lastKey: String?
    while position < bytes.count {
      let byte = bytes[position]
      switch byte {
      case UInt8(ascii: "\""):
        let start = position + 1
        position = start
        // Bounded by the end whatever the bytes: an unterminated string ends the scan.
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
          position += bytes[position] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard position < bytes.count else { return found }
        let string = bytes[start ..< position]
        position += 1
        while position < bytes.count, isWhitespace(bytes[position]) { position += 1 }
        let isKey = depth == 1 && position < bytes.count && bytes[position] == UInt8(ascii: ":")
        lastKey = isKey ? decodedKey(string) : nil
        continue
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        depth += 1
        lastKey = nil
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        depth -= 1
      case UInt8(ascii: "0") ... UInt8(ascii: "9") where lastKey != nil:
        let start = position
        while position < bytes.count, isNumberByte(bytes[position]) { position += 1 }
        if let key = lastKey, bytes[start ..< position].allSatisfy(isDigit) {
          found[key] = start ..< position
        }
        lastKey = nil
        continue
      case UInt8(ascii: ":"):
        break
      default:
        if !isWhitespace(byte) { lastKey = nil }
      }
      position += 1
    }
    return found
  }

  /// A key's text; keys with escapes are decoded through Foundation.
  private static func decodedKey(_ raw: ArraySlice<UInt8>) -> String {
    guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
    let quoted = [UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]
    let decoded = try? JSONSerialization.jsonObject(with: Data(quoted), options: .fragmentsAllowed)
    return decoded as? String ?? String(decoding: raw, as: UTF8.self)
  }

  private static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }

  private static func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  private static func isNumberByte(_ byte: UInt8) -> Bool {
    isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
      || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
  }
}
