import Pruning

/// Calls `body` with the elements stored in `bytes`: in place when they are aligned for
/// `Scalar`, else from an aligned copy (for files whose writers did not align their data).
func withAlignedElements<Scalar: BitwiseCopyable, Result>(
  _ bytes: UnsafeRawBufferPointer, as: Scalar.Type, _ body: (Span<Scalar>) -> Result
) -> Result {
  if let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Scalar>.alignment != 0 {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
    defer { copy.deallocate() }
    copy.copyMemory(from: bytes)
    return body(UnsafeBufferPointer(copy.bindMemory(to: Scalar.self)).span)
  }
  return body(bytes.assumingMemoryBound(to: Scalar.self).span)
}
