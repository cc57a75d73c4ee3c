// Reads the JSON header of a safetensors file into tensor entries and metadata, enforcing
// the schema strictly (the reference implementation, huggingface/safetensors, accepts
// unknown fields and duplicate keys; we do not):
//
//   { "__metadata__": { "key": "value", … },          optional, strings only; null
//                                                      means none, as in the reference
//     "name": { "dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16] }, … }
//
// Numbers must be plain non-negative integers that fit in Int. Sizes and offsets are
// checked against each other afterwards, by `DataLayout`.

/// A header as read, before sizes and offsets are checked.
struct ParsedHeader {
  /// One tensor entry, in header order.
  struct Entry {
    let name: String
    let dtype: DType
    let shape: [Int]
    let begin: Int
    let end: Int
  }

  /// The `__metadata__` map, or nil when the key is absent.
  var metadata: [String: String]?
  /// The tensor entries, in the order the header lists them.
  var entries: [Entry] = []
}

/// Parses safetensors headers.
enum HeaderParser {
  /// The key that holds the metadata map instead of a tensor.
  static let metadataKey = "__metadata__"

  /// Parses the header bytes (the N bytes after the length prefix).
  /// - Parameters:
  ///   - bytes: The header; need not be valid UTF-8 (that is checked first).
  ///   - path: The file, for error messages.
  static func parse(
    _ bytes: UnsafeBufferPointer<UInt8>, path: String
  ) throws(SafeTensorsError) -> ParsedHeader {
    let headerStart = 8
    if let bad = firstInvalidUTF8Index(in: bytes) {
      throw .headerNotUTF8(path: path, offset: headerStart + bad)
    }
    var reader = JSONReader(bytes: bytes, path: path, baseOffset: headerStart)
    let kind = try reader.kindOfNextValue()
    guard kind == .object else {
      throw .invalidHeader(
        path: path,
        problem: "the header is \(kind.rawValue), "
          + "expected a JSON object of tensor entries")
    }
    reader.beginObject()
    var header = ParsedHeader()
    var names = Set<TensorName>()  // by bytes: names equal only by normalisation are two
    var isFirst = true
    var seenMetadata = false
    while let key = try reader.nextKey(isFirst: &isFirst) {
      if key == metadataKey {
        guard !seenMetadata else {
          throw .invalidMetadata(path: path, problem: "the key appears more than once")
        }
        seenMetadata = true
        header.metadata = try parseMetadata(&reader, path: path)
      } else {
        guard names.insert(TensorName(key)).inserted else {
          throw .invalidTensor(
            path: path, tensor: key,
            problem: "duplicate tensor name: the header defines it more than once")
        }
        header.entries.append(try parseEntry(&reader, name: key, path: path))
      }
    }
    try reader.expectEnd()
    return header
  }

  /// The metadata map, or nil for `null` (which the reference reads as no metadata).
  private static func parseMetadata(
    _ reader: inout JSONReader, path: String
  ) throws(SafeTensorsError) -> [String: String]? {
    let kind = try reader.kindOfNextValue()
    if kind == .null {
      reader.skipNull()
      return nil
    }
    guard kind == .object else {
      throw .invalidMetadata(
        path: path,
        problem: "must be an object of strings to strings (or null), found \(kind.rawValue)")
    }
    reader.beginObject()
    var metadata: [String: String] = [:]
    var isFirst = true
    while let key = try reader.nextKey(isFirst: &isFirst) {
      guard metadata[key] == nil else {
        throw .invalidMetadata(path: path, problem: "duplicate key \(quoted(key))")
      }
      let kind = try reader.kindOfNextValue()
      guard kind == .string else {
        throw .invalidMetadata(
          path: path,
          problem: "the value of \(quoted(key)) must be a string, found \(kind.rawValue)")
      }
      metadata[key] = try reader.readString()
    }
    return metadata
  }

  private static func parseEntry(
    _ reader: inout JSONReader, name: String, path: String
  ) throws(SafeTensorsError) -> ParsedHeader.Entry {
    func invalid(_ problem: String) -> SafeTensorsError {
      .invalidTensor(path: path, tensor: name, problem: problem)
    }
    let kind = try reader.kindOfNextValue()
    guard kind == .object else {
      throw invalid(
        "the entry must be an object with dtype, shape and data_offsets, "
          + "found \(kind.rawValue)")
    }
    reader.beginObject()
    var dtype: DType?
    var shape: [Int]?
    var offsets: [Int]?
    var isFirst = true
    while let key = try reader.nextKey(isFirst: &isFirst) {
      switch key {
      case "dtype":
        guard dtype == nil else { throw invalid("duplicate field \"dtype\"") }
        let kind = try reader.kindOfNextValue()
        guard kind == .string else {
          throw invalid("dtype must be a string, found \(kind.rawValue)")
        }
        let text = try reader.readString()
        guard let value = DType(rawValue: text) else {
          let hint = DType(rawValue: text.uppercased()).map {
            " (dtypes are upper-case: \"\($0.rawValue)\")"
          }
          throw invalid("unknown dtype \(quoted(text))\(hint ?? "")")
        }
        dtype = value
      case "shape":
        guard shape == nil else { throw invalid("duplicate field \"shape\"") }
        shape = try readIntegers(&reader, field: "shape", invalid: invalid)
      case "data_offsets":
        guard offsets == nil else { throw invalid("duplicate field \"data_offsets\"") }
        let values = try readIntegers(&reader, field: "data_offsets", invalid: invalid)
        guard values.count == 2 else {
          throw invalid(
            "data_offsets must hold exactly 2 numbers [begin, end], "
              + "found \(values.count)")
        }
        offsets = values
      default:
        throw invalid(
          "unexpected field \(quoted(key)); "
            + "an entry has exactly dtype, shape and data_offsets")
      }
    }
    guard let dtype else { throw invalid("missing field \"dtype\"") }
    guard let shape else { throw invalid("missing field \"shape\"") }
    guard let offsets else { throw invalid("missing field \"data_offsets\"") }
    return ParsedHeader.Entry(
      name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
  }

  /// Reads an array of non-negative integers, such as `"shape"` or `"data_offsets"`.
  private static func readIntegers(
    _ reader: inout JSONReader, field: String,
    invalid: (String) -> SafeTensorsError
  ) throws(SafeTensorsError) -> [Int] {
    let kind = try reader.kindOfNextValue()
    guard kind == .array else {
      throw invalid("\(field) must be an array of non-negative integers, found \(kind.rawValue)")
    }
    reader.beginArray()
    var values: [Int] = []
    var isFirst = true
    while try reader.nextElement(isFirst: &isFirst) {
      let element = "\(field)[\(values.count)]"
      let kind = try reader.kindOfNextValue()
      guard kind == .number else {
        throw invalid("\(element) must be a non-negative integer, found \(kind.rawValue)")
      }
      let number = try reader.readNumber()
      if let problem = integerProblem(number) {
        throw invalid(
          "\(element) is \(shortened(number.text)), \(problem); "
            + "expected a non-negative integer")
      }
      // integerProblem has ruled out both failures.
      guard let value = number.unsignedValue, let int = Int(exactly: value) else {
        throw invalid("\(element) is \(shortened(number.text)), which is out of range")
      }
      values.append(int)
    }
    return values
  }

  /// Why a number is not a plain non-negative integer that fits in Int, or nil if it is.
  private static func integerProblem(_ number: JSONNumber) -> String? {
    if number.isNegative { return "which is negative" }
    if number.hasFraction { return "which is written with a fractional part" }
    if number.hasExponent { return "which is written in exponent notation" }
    guard let value = number.unsignedValue else { return "which is 2^64 or more" }
    if Int(exactly: value) == nil { return "which does not fit in a signed 64-bit integer" }
    return nil
  }

  /// `text`, cut after 40 characters: numbers in a hostile file can be megabytes long.
  private static func shortened(_ text: String) -> String {
    text.count > 40 ? text.prefix(40) + "… (\(text.utf8.count) characters)" : text
  }
}
