extension PruningMask {
  /// The mask's bits packed eight to a byte, little-endian: element `i` is bit `i % 8` of
  /// byte `i / 8` (numpy's `packbits(bitorder="little")`); bits past `count` are zero.
  ///
  /// - Parameter bytes: room for at least `(count + 7) / 8` bytes; only those are written.
  public func copyPackedBits(into bytes: UnsafeMutableRawBufferPointer) {
    let byteCount = (count + 7) / 8
    precondition(bytes.count >= byteCount, "\(bytes.count) bytes cannot hold \(count) bits")
    for index in 0 ..< byteCount {
      bytes[index] = UInt8(truncatingIfNeeded: words[index / 8] >> UInt64(8 * (index % 8)))
    }
  }
}
