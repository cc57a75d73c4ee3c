import CPruningKernels

/// The Swift face of the counting copy (Sources/CPruningKernels/CountingCopy.c): the one pass that writes a
/// tensor's output bytes, masked or not, and counts what the report needs on the way —
/// buffers in, checked sizes, no pointer arithmetic outside this file.
enum CountingCopy {
  /// Nonzero elements (±0 count as zero) of the source and of what was written.
  struct Counts: Equatable {
    var source = 0
    var written = 0
  }

  /// Copies the elements of `source` (each `elementSize` bytes: 4 or 2) to `destination`,
  /// as +0 where their bit in `kept` is clear, sets a bit of `writtenNonzero` per written
  /// element that is nonzero, and counts. Without `destination` it only counts (and
  /// records); without `kept` every element is kept. Any alignment.
  ///
  /// The corresponding C function is `bonsai_counting_copy`.
  static func copy(
    _ source: UnsafeRawBufferPointer, elementSize: Int,
    to destination: UnsafeMutableRawBufferPointer?, keeping kept: UnsafeBufferPointer<UInt64>?,
    writtenNonzero: UnsafeMutableBufferPointer<UInt64>?
  ) -> Counts {
    precondition(elementSize == 4 || elementSize == 2, "no counting copy of \(elementSize)-byte elements")
    precondition(source.count % elementSize == 0, "a partial element")
    let count = source.count / elementSize
    let words = (count + 63) / 64
    precondition(destination.map { $0.count >= source.count } ?? true, "no room to copy")
    precondition(kept.map { $0.count >= words } ?? true, "mask shorter than the elements")
    precondition(writtenNonzero.map { $0.count >= words } ?? true, "no room for the bits")
    guard count > 0, let from = source.baseAddress else { return Counts() }
    // The two totals on the stack: this runs once per chunk of every tensor.
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2) { totals in
      totals.initialize(repeating: 0)
      let (to, keptBits, bits) = (destination?.baseAddress, kept?.baseAddress, writtenNonzero?.baseAddress)
      bonsai_counting_copy(elementSize, from, to, count, keptBits, bits, totals.baseAddress)
      return Counts(source: Int(totals[0]), written: Int(totals[1]))
    }
  }
}
