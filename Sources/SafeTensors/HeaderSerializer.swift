// Produces the bytes before the data region: the 8-byte length and a compact JSON header,
// `__metadata__` first (keys in UTF-8 byte order, so output never depends on hashing or
// locale), then the tensors in the order given, padded with spaces so that the data region
// starts at a multiple of 8 bytes, as the reference writer does.

/// Serializes safetensors headers.
enum HeaderSerializer {
  /// The length prefix, the header JSON and its padding.
  /// - Parameters:
  ///   - tensors: Each tensor with its data offsets, in file order.
  ///   - metadata: Written as `"__metadata__"` when non-nil (even if empty).
  static func encode(
    tensors: [(header: TensorHeader, offsets: Range<Int>)], metadata: [String: String]?
  ) -> [UInt8] {
    var json: [UInt8] = []
    json.append(UInt8(ascii: "{"))
    var needsComma = false
    if let metadata {
      appendString(HeaderParser.metadataKey, to: &json)
      json.append(contentsOf: ":{".utf8)
      let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for (index, key) in keys.enumerated() {
        if index > 0 { json.append(UInt8(ascii: ",")) }
        appendString(key, to: &json)
        json.append(UInt8(ascii: ":"))
        appendString(metadata[key] ?? "", to: &json)
      }
      json.append(UInt8(ascii: "}"))
      needsComma = true
    }
    for (header, offsets) in tensors {
      if needsComma { json.append(UInt8(ascii: ",")) }
      needsComma = true
      appendString(header.name, to: &json)
      json.append(contentsOf: ":{\"dtype\":\"\(header.dtype.rawValue)\",\"shape\":[".utf8)
      json.append(contentsOf: header.shape.map(String.init).joined(separator: ",").utf8)
      json.append(contentsOf: "],\"data_offsets\":[\(offsets.lowerBound),".utf8)
      json.append(contentsOf: "\(offsets.upperBound)]}".utf8)
    }
    json.append(UInt8(ascii: "}"))
    let padding = (8 - json.count % 8) % 8
    json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))

    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + json.count)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: json)
    return bytes
  }

  /// Appends `s` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`…
  /// or `\u00XX`; everything else, non-ASCII included, as raw UTF-8.
  private static func appendString(_ s: String, to json: inout [UInt8]) {
    json.append(UInt8(ascii: "\""))
    for byte in s.utf8 {
      switch byte {
      case UInt8(ascii: "\""): json.append(contentsOf: #"\""#.utf8)
      case UInt8(ascii: "\\"): json.append(contentsOf: #"\\"#.utf8)
      case 0x0A: json.append(contentsOf: #"\n"#.utf8)
      case 0x0D: json.append(contentsOf: #"\r"#.utf8)
      case 0x09: json.append(contentsOf: #"\t"#.utf8)
      case 0x08: json.append(contentsOf: #"\b"#.utf8)
      case 0x0C: json.append(contentsOf: #"\f"#.utf8)
      case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        json.append(contentsOf: #"\u00"#.utf8)
        json.append(hex[Int(byte >> 4)])
        json.append(hex[Int(byte & 0x0F)])
      default: json.append(byte)
      }
    }
    json.append(UInt8(ascii: "\""))
  }
}
