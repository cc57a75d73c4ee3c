/// Counting NaN and ±Inf weights, which are an error rather than something to rank.
enum NonFiniteCount {
  /// The number of NaN or ±Inf elements of `values`, decided on bit patterns.
  static func count<Scalar: PrunableScalar>(
    _ values: UnsafeBufferPointer<Scalar>, threads: Int
  ) -> Int {
    let layout = ChunkLayout(count: values.count)
    var counts = [Int](repeating: 0, count: layout.chunkCount)
    values.withMemoryRebound(to: Scalar.Bits.self) { bits in
      counts.withUnsafeMutableBufferPointer { counts in
        Parallel.forEach(tasks: layout.chunkCount, threads: threads) { chunk in
          var found = 0
          for index in layout.units(ofChunk: chunk) {
            found &+= Scalar.isNonFinite(bits: bits[index]) ? 1 : 0
          }
          counts[chunk] = found
        }
      }
    }
    return counts.reduce(0, +)
  }
}
