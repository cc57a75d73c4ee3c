// FNV-1a (Fowler, Noll, Vo): a fast, stable digest for telling step files apart.

/// A 64-bit FNV-1a digest, in hex: a fingerprint of the job a step file belongs to, which
/// catches mixed-up files (not forged ones: it is not a cryptographic hash).
struct Fingerprint {
  private var state: UInt64 = 0xCBF2_9CE4_8422_2325

  /// Adds `text` and a separator.
  mutating func add(_ text: String) {
    for byte in text.utf8 + [0] {
      state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
  }

  /// The digest so far.
  var hex: String {
    let digits = String(state, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
