// Elements whose bytes may lie at any address — a tensor of a file whose writer did not
// align its data, a C caller's buffer at an odd offset — handed to code that needs them
// aligned for their type: in place when they are, else through an aligned copy. The copy
// costs one allocation of the buffer's size and one memcpy each way (~7 ms per 64 MB).

/// Calls `body` with the elements stored in `bytes`: in place when they are aligned for
/// `Scalar`, else from an aligned copy.
///
/// - Complexity: O(1) when aligned; else one copy of `bytes` (extra memory `bytes.count`).
public func withAlignedElements<Scalar: BitwiseCopyable, Result>(
  _ bytes: UnsafeRawBufferPointer, as: Scalar.Type, _ body: (Span<Scalar>) -> Result
) -> Result {
  if isMisaligned(bytes.baseAddress, for: Scalar.self) {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
    defer { copy.deallocate() }
    copy.copyMemory(from: bytes)
    return body(UnsafeBufferPointer(copy.bindMemory(to: Scalar.self)).span)
  }
  return body(bytes.assumingMemoryBound(to: Scalar.self).span)
}

/// Calls `body` with the elements stored in `bytes` to change them: in place when they are
/// aligned for `Scalar`, else in an aligned copy whose bytes are copied back into `bytes`
/// after `body` returns (all of them: what `body` left unchanged is written back as it was).
///
/// - Complexity: O(1) when aligned; else two copies of `bytes` (extra memory `bytes.count`).
public func withAlignedMutableElements<Scalar: BitwiseCopyable, Result>(
  _ bytes: UnsafeMutableRawBufferPointer, as: Scalar.Type,
  _ body: (inout MutableSpan<Scalar>) -> Result
) -> Result {
  if isMisaligned(bytes.baseAddress, for: Scalar.self) {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(bytes))
    var span = copy.bindMemory(to: Scalar.self).mutableSpan
    let result = body(&span)
    bytes.copyMemory(from: UnsafeRawBufferPointer(copy))
    return result
  }
  var span = bytes.assumingMemoryBound(to: Scalar.self).mutableSpan
  return body(&span)
}

/// Whether `address` is not a multiple of `Scalar`'s alignment (nil, an empty buffer's, is
/// aligned).
private func isMisaligned<Scalar>(_ address: UnsafeRawPointer?, for _: Scalar.Type) -> Bool {
  guard let address else { return false }
  return Int(bitPattern: address) % MemoryLayout<Scalar>.alignment != 0
}
