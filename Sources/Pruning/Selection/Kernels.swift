import CPruningKernels

/// Swift faces of the C kernels (Sources/CPruningKernels): buffers in, checked sizes, no
/// pointer arithmetic outside this file.
enum Kernels {
  /// Adds the counts of keys below `lo`, equal to `lo`, equal to `hi` and at or above
  /// `flag` to `counts[0...3]`, and writes the keys strictly inside (lo, hi) to the front of
  /// `inside`; returns how many. The corresponding C function is `bonsai_tally_keys`.
  static func tally(
    keys: UnsafeBufferPointer<UInt32>, lo: UInt32, hi: UInt32, flag: UInt32,
    counts: UnsafeMutableBufferPointer<UInt64>, inside: UnsafeMutableBufferPointer<UInt32>
  ) -> Int {
    precondition(counts.count >= 4 && inside.count >= keys.count + 8, "no room to tally")
    guard let base = keys.baseAddress, let target = inside.baseAddress,
      let totals = counts.baseAddress
    else { return 0 }
    return bonsai_tally_keys(base, keys.count, lo, hi, flag, totals, target)
  }

  /// Writes one word per 64 keys (their count a multiple of 64): the bits of keys below
  /// `threshold` to `below`, of keys equal to it to `equal` when given.
  /// The corresponding C function is `bonsai_compare_keys`.
  static func compare(
    keys: UnsafeBufferPointer<UInt32>, threshold: UInt32,
    below: UnsafeMutableBufferPointer<UInt64>, equal: UnsafeMutableBufferPointer<UInt64>?
  ) {
    precondition(keys.count % 64 == 0 && below.count >= keys.count / 64)
    precondition(equal.map { $0.count >= keys.count / 64 } ?? true)
    guard let base = keys.baseAddress, let belowBase = below.baseAddress else { return }
    bonsai_compare_keys(base, keys.count, threshold, belowBase, equal?.baseAddress)
  }

  /// Zeroes the elements of `bytes` (each `elementSize` bytes: 4 or 2) whose bit in `kept` is
  /// clear; with `bypassingCache`, 4-byte elements pruned 64 at a time are written past the
  /// caches. The corresponding C functions are `bonsai_zero_pruned_32` and `…_16`.
  static func zero(
    _ bytes: UnsafeMutableRawBufferPointer, elementSize: Int, keeping kept: UnsafeBufferPointer<UInt64>,
    bypassingCache: Bool = false
  ) {
    let count = bytes.count / elementSize
    precondition(kept.count * 64 >= count, "mask shorter than the elements")
    guard let base = bytes.baseAddress, let words = kept.baseAddress, count > 0 else { return }
    switch elementSize {
    case 4:
      bonsai_zero_pruned_32(
        base.assumingMemoryBound(to: UInt32.self), count, words, bypassingCache ? 1 : 0)
    case 2: bonsai_zero_pruned_16(base.assumingMemoryBound(to: UInt16.self), count, words)
    default: preconditionFailure("no zeroing kernel for \(elementSize)-byte elements")
    }
  }

  /// Adds the column sums of `rows`, a row-major block `columns` wide, to `sums`: Σ |x|
  /// when `absolute`, otherwise Σ x², in Double, the rows added in order.
  /// The corresponding C function is `bonsai_add_column_sums_f32`.
  static func addColumnSums(
    of rows: UnsafeBufferPointer<Float>, columns: Int, absolute: Bool,
    into sums: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(columns > 0 && rows.count % columns == 0 && sums.count >= columns)
    guard let base = rows.baseAddress, let target = sums.baseAddress else { return }
    bonsai_add_column_sums_f32(base, rows.count / columns, columns, absolute ? 1 : 0, target)
  }

  /// Σ |x| over `values`, each term widened to Double, in the kernel's fixed order (the
  /// same bits on every processor). The corresponding C function is
  /// `bonsai_absolute_sum_f32`.
  static func absoluteSum(_ values: UnsafeBufferPointer<Float>) -> Double {
    guard let base = values.baseAddress else { return 0 }
    return bonsai_absolute_sum_f32(base, values.count)
  }

  /// Writes `halves` widened to `Float` (exactly) to `floats`. The corresponding C function
  /// is `bonsai_widen_f16`.
  static func widen(
    _ halves: UnsafeBufferPointer<Float16>, into floats: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(floats.count >= halves.count)
    guard let base = halves.baseAddress, let target = floats.baseAddress else { return }
    base.withMemoryRebound(to: UInt16.self, capacity: halves.count) { bits in
      bonsai_widen_f16(bits, halves.count, target)
    }
  }

  /// Writes the keys of one row of weights to `keys`: of |w|, of w² (`squared`), or of
  /// |w|·norms[j] when `norms` is given (Wanda), each the score's magnitude bits under the
  /// key's marker bit (`ScoreKey.magnitudeKey`). The corresponding C function is
  /// `bonsai_row_keys_f32`.
  static func rowKeys(
    of weights: UnsafeBufferPointer<Float>, squared: Bool, norms: UnsafeBufferPointer<Float>?,
    into keys: UnsafeMutableBufferPointer<UInt32>
  ) {
    precondition(keys.count >= weights.count && (norms?.count ?? weights.count) == weights.count)
    guard let base = weights.baseAddress, let target = keys.baseAddress else { return }
    bonsai_row_keys_f32(base, weights.count, squared ? 1 : 0, norms?.baseAddress, target)
  }

  /// The number of `keys` below `threshold`. The corresponding C function is
  /// `bonsai_count_below`.
  static func count(_ keys: UnsafeBufferPointer<UInt32>, below threshold: UInt32) -> Int {
    precondition(keys.count <= Int(UInt32.max), "too many keys to count in 32-bit lanes")
    guard let base = keys.baseAddress else { return 0 }
    return bonsai_count_below(base, keys.count, threshold)
  }

  /// Writes `keys`, a small sample (O(n²) work), to `sorted` in ascending order. The
  /// corresponding C function is `bonsai_sort_sample`.
  static func sortSample(
    _ keys: UnsafeBufferPointer<UInt32>, into sorted: UnsafeMutableBufferPointer<UInt32>
  ) {
    precondition(sorted.count >= keys.count)
    guard let base = keys.baseAddress, let target = sorted.baseAddress else { return }
    bonsai_sort_sample(base, keys.count, target)
  }
}
