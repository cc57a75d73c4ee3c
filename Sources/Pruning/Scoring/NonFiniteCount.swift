/// Counting NaN and ±Inf weights, which are an error rather than something to rank.
enum NonFiniteCount {
  /// Throws `PruningError.nonFiniteWeights` naming `name` and the count unless every
  /// element of `values` is finite.
  static func check<Scalar: PrunableScalar>(
    _ values: UnsafeBufferPointer<Scalar>, name: String, threads: Int
  ) throws(PruningError) {
    let count = count(values, threads: threads)
    guard count == 0 else { throw .nonFiniteWeights(name: name, count: count) }
  }

  /// The number of NaN or ±Inf elements of `values`, decided on bit patterns.
  static func count<Scalar: PrunableScalar>(
    _ values: UnsafeBufferPointer<Scalar>, threads: Int
  ) -> Int {
    let layout = ChunkLayout(count: values.count)
    var counts = [Int](repeating: 0, count: layout.chunkCount)
    values.withMemoryRebound(to: Scalar.Bits.self) { bits in
      counts.withUnsafeMutableBufferPointer { counts in
        Parallel.forEach(tasks: layout.chunkCount, threads: threads) { chunk in
          let units = layout.units(ofChunk: chunk)
          counts[chunk] = !mayHoldNonFinite(bits, units, Scalar.self) ? 0
            : units.reduce(0) { $0 &+ (Scalar.isNonFinite(bits: bits[$1]) ? 1 : 0) }
        }
      }
    }
    return counts.reduce(0, +)
  }

  /// Whether any element of `units` can be NaN or ±Inf: |x| bits at or above +Inf's carry
  /// into the sign bit when `2^(w−1) − inf` is added, so an OR-reduction sixteen lanes at a
  /// time answers at memory speed.
  private static func mayHoldNonFinite<Scalar: PrunableScalar>(
    _ bits: UnsafeBufferPointer<Scalar.Bits>, _ units: Range<Int>, _: Scalar.Type
  ) -> Bool {
    typealias Bits = Scalar.Bits
    let magnitude = Bits.max >> 1
    let carry = magnitude &- Scalar.infinityBits &+ 1
    var merged = SIMD16<Bits>(repeating: 0)
    var index = units.lowerBound
    if let base = bits.baseAddress {
      let raw = UnsafeRawPointer(base)
      let stride = MemoryLayout<Bits>.stride
      while index + 16 <= units.upperBound {
        let lanes = raw.loadUnaligned(fromByteOffset: index * stride, as: SIMD16<Bits>.self)
        merged |= (lanes & magnitude) &+ carry
        index += 16
      }
    }
    var result = merged.indices.reduce(Bits(0)) { $0 | merged[$1] }
    while index < units.upperBound {
      result |= (bits[index] & magnitude) &+ carry
      index += 1
    }
    return result > magnitude
  }
}
