// Per-row ranking (each row of a matrix pruned on its own, as Wanda prunes) by L1, L2 and
// Wanda scores, fused into one visit per row while the row is in cache:
//   1. the row's keys are computed once into a scratch buffer (`bonsai_row_keys_f32`;
//      Float16 and BFloat16 rows are widened first);
//   2. the key of rank k − 1 is found there, with no branch per key: a sorted sample
//      of 32 evenly spaced keys brackets it, one pass (`bonsai_tally_keys`) counts the keys
//      below the bracket and at its ends and gathers the three eighths or so inside it, and
//      the same is done again on those until a few hundred remain, which a quickselect
//      finishes (`GroupedSelection.select`); a bracket that misses (about 1 in 30) ends the
//      narrowing early;
//   3. the row's kept words are built from its keys (`SelectionCut.keptWords`: keys below the
//      threshold pruned, and the first `ties` of those equal to it) and the row is zeroed by
//      them (`bonsai_zero_pruned_32`).
// The caller checks the weights for NaN and ±Inf first (a read-only pass at memory speed),
// so a tensor that throws is unchanged. Rows are decided independently, and the mask is
// written in bands of rows that start on a 64-bit word, so every thread count gives the same
// bits.

/// The fused per-row selection of magnitude (L1, L2) and Wanda scores, for rows of
/// `minimumColumns` to `LowestKSelection.smallCount` weights of a first round (not
/// iterative).
struct RowSelection {
  /// Sets of at least this many keys are narrowed by a sampled bracket before the select.
  static let narrowedSize = 256
  /// Keys in the sample that brackets the wanted key, evenly spaced.
  static let sampleSize = 32
  /// The bracket's ends lie this many sample keys either side of the wanted key's place in
  /// the sample: two standard deviations of it (√(32 · ¼) ≈ 2.8) at the median, so that
  /// about 1 bracket in 30 misses, and some three eighths of the keys fall inside.
  static let bracketMargin = 6
  /// Narrower rows are left to `GroupedSelection`, whose rank counting over runs of rows
  /// beats this path's fixed cost per row there (measured: 3× faster at 3 columns, even at
  /// 17, slower beyond).
  static let minimumColumns = 17
  /// Rows handed to a worker at a time cover at least this many weights.
  static let taskSize = 1 << 16

  /// Rows and columns of the matrix.
  let rows: Int
  let columns: Int
  /// How many weights each row loses.
  let prunedPerRow: Int
  /// Whether the scores are w² (rounded to `Float`) rather than |w|.
  let squared: Bool
  /// The input norms of Wanda scores |w_ij|·norms[j] (a `Float` product); nil for magnitude.
  let norms: [Float]?

  /// The fused selection of a per-row configuration it covers — unstructured per-row scope,
  /// L1, L2 (or the Taylor proxy, scored as L2) or Wanda scores, not iterative, rows of
  /// `minimumColumns` to `LowestKSelection.smallCount` weights — and nil for any other.
  init?(layout: UnitLayout, config: PruningConfig, scoring: ElementScoring) {
    guard layout.units == .groups(size: layout.columns, kept: nil), config.scope == .perRow,
      config.iterative == nil,
      (Self.minimumColumns ... LowestKSelection.smallCount).contains(layout.columns)
    else { return nil }
    switch scoring.kind {
    case .magnitude(let squared): (self.squared, norms) = (squared, nil)
    case .wanda(let norms, _): (squared, self.norms) = (false, norms)
    case .random, .taylor, .supplied: return nil
    }
    (rows, columns) = (layout.rows, layout.columns)
    prunedPerRow = config.prunedUnitCount(units: columns, unitSize: rows)
  }

  /// Prunes the `prunedPerRow` lowest scores of every row of `values` — lower index first
  /// among equal scores — zeroing them when `zeroing`, and returns the mask of kept weights.
  /// The weights must be finite.
  ///
  /// - Complexity: O(n); one read and, when zeroing, one write of every weight. Extra
  ///   memory: the mask (n/8 bytes) and, per thread, 5 keys per column.
  func prune<Scalar: PrunableScalar>(
    _ values: UnsafeMutableBufferPointer<Scalar>, zeroing: Bool, threads: Int
  ) -> PruningMask {
    precondition(values.count == rows * columns)
    var words = [UInt64](repeating: 0, count: (values.count + 63) / 64)
    // Whole bands of rows per task, a band starting on a word of the mask, so that no two
    // workers write the same word.
    let bandRows = GroupedSelection.wordAlignedRows(columns: columns)
    let rowsPerTask = bandRows * max(1, Self.taskSize / (bandRows * columns))
    let tasks = (rows + rowsPerTask - 1) / rowsPerTask
    words.withUnsafeMutableBufferPointer { words in
      Parallel.forEachWorker(tasks: tasks, threads: threads) { _, owned in
        RowScratch.with(columns: columns, widening: Scalar.self != Float.self) { scratch in
          for task in owned {
            for row in task * rowsPerTask ..< min(rows, (task + 1) * rowsPerTask) {
              pruneRow(row, of: values, zeroing: zeroing, scratch: scratch, into: words)
            }
          }
        }
      }
    }
    return PruningMask(count: values.count, words: words)
  }

  /// Decides row `row` of `values`, zeroes its pruned weights when `zeroing`, and sets its
  /// kept bits in `words`.
  private func pruneRow<Scalar: PrunableScalar>(
    _ row: Int, of values: UnsafeMutableBufferPointer<Scalar>, zeroing: Bool,
    scratch: RowScratch, into words: UnsafeMutableBufferPointer<UInt64>
  ) {
    let range = row * columns ..< (row + 1) * columns
    let weights = UnsafeMutableBufferPointer(rebasing: values[range])
    let raw = UnsafeRawBufferPointer(weights)
    if Scalar.self == Float.self {
      fillKeys(of: raw.assumingMemoryBound(to: Float.self), into: scratch.keys)
    } else {
      if Scalar.self == Float16.self {
        Kernels.widen(raw.assumingMemoryBound(to: Float16.self), into: scratch.widened)
      } else {
        for column in 0 ..< columns { scratch.widened[column] = weights[column].widened }
      }
      fillKeys(of: UnsafeBufferPointer(scratch.widened), into: scratch.keys)
    }
    var (threshold, ties) = Self.cut(pruning: prunedPerRow, scratch: scratch)
    SelectionCut.keptWords(
      UnsafeBufferPointer(scratch.keys), threshold: threshold, into: scratch.kept,
      equal: scratch.equal, quota: &ties)
    let kept = UnsafeBufferPointer(scratch.kept)
    if zeroing {
      Kernels.zero(
        UnsafeMutableRawBufferPointer(weights), elementSize: MemoryLayout<Scalar>.stride,
        keeping: kept)
    }
    PruningMask.orBits(kept, into: words, atBit: range.lowerBound)
  }

  /// Writes the keys of one row's weights.
  private func fillKeys(
    of weights: UnsafeBufferPointer<Float>, into keys: UnsafeMutableBufferPointer<UInt32>
  ) {
    guard let norms else {
      return Kernels.rowKeys(of: weights, squared: squared, norms: nil, into: keys)
    }
    norms.withUnsafeBufferPointer { norms in
      Kernels.rowKeys(of: weights, squared: false, norms: norms, into: keys)
    }
  }

  /// The cut that prunes the `k` lowest of the row's keys in `scratch.keys`: the key of rank
  /// `k − 1` (0 when `k` is 0: below every key) and how many of the keys equal to it are
  /// pruned, the first ones.
  static func cut(pruning k: Int, scratch: RowScratch) -> (threshold: UInt32, ties: Int) {
    precondition(k >= 0 && k <= scratch.keys.count)
    guard k > 0 else { return (0, 0) }
    // The keys still in question, the place of the wanted key among them, and how many of
    // the row's keys lie below all of them.
    var keys = UnsafeBufferPointer(scratch.keys)
    var (rank, below) = (k - 1, 0)
    var (gathering, spare) = scratch.gathered
    narrowing: while keys.count >= narrowedSize {
      let (lo, hi) = bracket(of: keys, rank: rank, scratch: scratch)
      scratch.counts.update(repeating: 0)
      let inside = Kernels.tally(
        keys: keys, lo: lo, hi: hi, flag: .max, counts: scratch.counts, inside: gathering)
      let (belowLo, equalLo, equalHi) =
        (Int(scratch.counts[0]), Int(scratch.counts[1]), Int(scratch.counts[2]))
      switch rank - belowLo {
      case ..<0:
        break narrowing  // The bracket missed: the select takes all these keys.
      case ..<equalLo:
        return (lo, k - below - belowLo)
      case ..<(equalLo + inside):
        // A bracket that kept most of the keys (an adversarial order of the row) ends the
        // narrowing, so that its cost stays linear.
        let shrank = inside <= keys.count * 3 / 4
        (rank, below) = (rank - belowLo - equalLo, below + belowLo + equalLo)
        keys = UnsafeBufferPointer(rebasing: gathering[0 ..< inside])
        swap(&gathering, &spare)
        if !shrank { break narrowing }
      case ..<(equalLo + inside + equalHi):
        return (hi, k - below - belowLo - equalLo - inside)
      default:
        break narrowing  // Missed above.
      }
    }
    let selection = UnsafeMutableBufferPointer(rebasing: scratch.selection[0 ..< keys.count])
    _ = selection.update(fromContentsOf: keys)
    let threshold = GroupedSelection.select(selection, rank: rank, scratch: scratch.other)
    return (threshold, k - below - Kernels.count(keys, below: threshold))
  }

  /// Two keys that bracket the key of rank `rank` among `keys` with high probability: the
  /// sample keys `bracketMargin` either side of its place in a sorted sample of
  /// `sampleSize` evenly spaced keys (or 0, or `UInt32.max`, past the sample's ends).
  private static func bracket(
    of keys: UnsafeBufferPointer<UInt32>, rank: Int, scratch: RowScratch
  ) -> (lo: UInt32, hi: UInt32) {
    let n = keys.count
    let sample = UnsafeMutableBufferPointer(rebasing: scratch.selection[0 ..< sampleSize])
    for index in 0 ..< sampleSize {
      sample[index] = keys[index * n / sampleSize + n / (2 * sampleSize)]
    }
    let sorted = UnsafeMutableBufferPointer(rebasing: scratch.other[0 ..< sampleSize])
    Kernels.sortSample(UnsafeBufferPointer(sample), into: sorted)
    let center = rank * sampleSize / n
    let lo = center < bracketMargin ? 0 : sorted[center - bracketMargin]
    let hi = center + bracketMargin >= sampleSize ? .max : sorted[center + bracketMargin]
    // Sample keys are keys of finite scores, below `UInt32.max`.
    return (lo, lo == hi ? hi + 1 : hi)
  }
}

/// One worker's buffers for the rows it prunes, allocated once per call and reused row after
/// row, so that they stay in cache.
struct RowScratch {
  /// The keys of the row being pruned.
  let keys: UnsafeMutableBufferPointer<UInt32>
  /// Two buffers for the keys gathered inside a bracket, each gathering from the other
  /// (room for 8 more than a row: whole vectors are stored).
  let gathered: (UnsafeMutableBufferPointer<UInt32>, UnsafeMutableBufferPointer<UInt32>)
  /// Keys being selected among, and the selection's second buffer.
  let selection: UnsafeMutableBufferPointer<UInt32>
  let other: UnsafeMutableBufferPointer<UInt32>
  /// The row's kept words, and its words of keys equal to the threshold.
  let kept: UnsafeMutableBufferPointer<UInt64>
  let equal: UnsafeMutableBufferPointer<UInt64>
  /// The gathering pass's four counts.
  let counts: UnsafeMutableBufferPointer<UInt64>
  /// The row's weights widened to `Float` (empty for `Float` weights, keyed where they lie).
  let widened: UnsafeMutableBufferPointer<Float>

  /// Calls `body` with the buffers for rows of `columns` weights, `widening` when the weights
  /// are not `Float`.
  static func with<Result>(
    columns: Int, widening: Bool, _ body: (RowScratch) -> Result
  ) -> Result {
    let wordCount = (columns + 63) / 64
    let gatheredSize = columns + 8
    return withUnsafeTemporaryAllocation(
      of: UInt32.self, capacity: 3 * columns + 2 * gatheredSize
    ) { keys in
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * wordCount + 4) { words in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: widening ? columns : 0) {
          widened in
          var keys = keys[...]
          var words = words[...]
          return body(
            RowScratch(
              keys: take(columns, of: &keys),
              gathered: (take(gatheredSize, of: &keys), take(gatheredSize, of: &keys)),
              selection: take(columns, of: &keys), other: take(columns, of: &keys),
              kept: take(wordCount, of: &words), equal: take(wordCount, of: &words),
              counts: take(4, of: &words), widened: widened))
        }
      }
    }
  }

  /// The first `count` elements of what is left of `buffer`, which then starts after them.
  private static func take<Element>(
    _ count: Int, of buffer: inout Slice<UnsafeMutableBufferPointer<Element>>
  ) -> UnsafeMutableBufferPointer<Element> {
    defer { buffer = buffer.dropFirst(count) }
    return UnsafeMutableBufferPointer(rebasing: buffer.prefix(count))
  }
}
