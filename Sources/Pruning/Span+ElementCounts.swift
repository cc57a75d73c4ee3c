extension Span where Element: PrunableScalar {
  /// The number of NaN and ±Inf elements, decided on their bits.
  public var nonFiniteCount: Int {
    withUnsafeBufferPointer { NonFiniteCounting().runSpecialized(.init(mutating: $0)) }
  }

  /// The number of elements that are not zero: ±0 count as zero, NaN does not.
  public var nonzeroCount: Int {
    count - withUnsafeBufferPointer { ZeroCounting().runSpecialized(.init(mutating: $0)) }
  }
}

// The counting operations only read the buffers they are given.

/// Counts NaN and ±Inf elements on one thread.
private struct NonFiniteCounting: ScalarOperation {
  func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) -> Int {
    NonFiniteCount.count(UnsafeBufferPointer(values), threads: 1)
  }
}

/// Counts elements that are ±0, on their bits.
private struct ZeroCounting: ScalarOperation {
  func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) -> Int {
    ZeroElements.count(UnsafeBufferPointer(values))
  }
}

/// Counting zero weights: the ones an earlier round pruned.
enum ZeroElements {
  /// The number of elements of `values` that are ±0, decided on their bits.
  static func count<Scalar: PrunableScalar>(_ values: UnsafeBufferPointer<Scalar>) -> Int {
    values.withMemoryRebound(to: Scalar.Bits.self) { bits in
      // A magnitude of zero is the only one for which magnitude − 1 borrows.
      let magnitude = UInt64(Scalar.Bits.max >> 1)
      return Int(bits.reduce(UInt64(0)) { $0 &+ ((UInt64($1) & magnitude) &- 1) >> 63 })
    }
  }
}
