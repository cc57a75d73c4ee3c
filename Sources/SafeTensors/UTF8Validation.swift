// A strict UTF-8 check that reports where the input goes wrong: shortest forms only, no
// surrogates (U+D800…U+DFFF), nothing above U+10FFFF (Unicode 15, table 3-7). The header is
// checked once, up front, so the JSON reader can turn byte ranges into strings directly.

/// The index of the first byte of `bytes` that does not begin a well-formed UTF-8 sequence,
/// or nil when all of `bytes` is well-formed UTF-8.
func firstInvalidUTF8Index(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
  var index = 0
  let count = bytes.count
  while index < count {
    let lead = bytes[index]
    if lead < 0x80 {
      index += 1
      continue
    }
    // The allowed range of the second byte depends on the lead byte; the others are 80…BF.
    let length: Int
    let second: ClosedRange<UInt8>
    switch lead {
    case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
    case 0xE0: (length, second) = (3, 0xA0...0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
    case 0xED: (length, second) = (3, 0x80...0x9F)
    case 0xF0: (length, second) = (4, 0x90...0xBF)
    case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
    case 0xF4: (length, second) = (4, 0x80...0x8F)
    default: return index
    }
    guard count - index >= length, second.contains(bytes[index + 1]) else { return index }
    for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
      return index
    }
    index += length
  }
  return nil
}
