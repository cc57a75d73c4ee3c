extension Span where Element: PrunableScalar {
  /// The number of NaN and ±Inf elements, decided on their bits.
  public var nonFiniteCount: Int {
    withUnsafeBufferPointer { NonFiniteCount.count($0, threads: 1) }
  }
}
