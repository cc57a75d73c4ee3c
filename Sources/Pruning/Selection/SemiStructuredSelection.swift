import CPruningKernels

// N:M patterns at memory speed: for M = 2, 4 or 8 and magnitude or Wanda scores, one pass of
// a C kernel (`bonsai_select_nm`) scores each group in registers, ranks it, zeroes what it
// prunes and writes its kept bits — no key buffer, no mask pass, no second zeroing pass. The
// weights must have been proved finite first, so that an error leaves them unchanged. Groups
// of M | 8 weights tile a row-major matrix whose rows are a multiple of M long, so the pass
// walks the weights as one run, split into chunks of whole mask words: each group's decision
// is its own and each chunk writes only its own words, whatever the thread count. Everything
// else (other M, random, Taylor and supplied scores, other scalar types) goes through
// `GroupedSelection`, which decides the same bits.

/// An N:M pattern that one fused pass selects and applies.
struct SemiStructuredSelection {
  /// The pattern as the kernel takes it, without its norms (attached for the pass).
  private let pattern: bonsai_nm_pattern
  /// The input norms of the columns for Wanda, else empty.
  private let norms: [Float]

  /// The fused pass for `kept` of every `groupSize` weights under `scoring`, over a matrix
  /// `columns` wide whose weights are `Scalar`; nil when the pass does not cover them.
  init?<Scalar: PrunableScalar>(
    groupSize: Int, kept: Int, scoring: ElementScoring, columns: Int, scalar: Scalar.Type
  ) {
    guard [2, 4, 8].contains(groupSize), let format = Self.format(of: scalar) else { return nil }
    let score: bonsai_nm_score
    switch scoring.kind {
    case .magnitude(let squared):
      (score, norms) = (squared ? BONSAI_NM_SQUARE : BONSAI_NM_ABS, [])
    case .wanda(let columnNorms, _):
      (score, norms) = (BONSAI_NM_ABS_TIMES_NORM, columnNorms)
    case .random, .taylor, .supplied:
      return nil
    }
    pattern = bonsai_nm_pattern(
      format: format, score: score, group: groupSize, pruned: groupSize - kept, norms: nil,
      columns: columns)
  }

  /// Prunes the pattern in `values` (a row-major matrix of finite weights) and returns the
  /// mask of kept weights; without `zeroing` (a dry run) `values` is only read.
  ///
  /// - Complexity: O(n·M/8) vector steps in one pass; extra memory the mask (n/8 bytes).
  func prune<Scalar: PrunableScalar>(
    _ values: UnsafeMutableBufferPointer<Scalar>, zeroing: Bool, threads: Int
  ) -> PruningMask {
    precondition(values.count % pattern.columns == 0)
    let layout = ChunkLayout(count: values.count)
    let wordCount = (values.count + 63) / 64
    let words = [UInt64](unsafeUninitializedCapacity: wordCount) { words, initialized in
      let target = words
      norms.withUnsafeBufferPointer { norms in
        let pattern = attaching(norms)
        Parallel.forEach(tasks: layout.chunkCount, threads: threads) { chunk in
          let units = layout.units(ofChunk: chunk)
          let stride = MemoryLayout<Scalar>.stride
          Kernels.selectSemiStructured(
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(values)[
              units.lowerBound * stride ..< units.upperBound * stride]),
            pattern: pattern, firstColumn: units.lowerBound % pattern.columns, zeroing: zeroing,
            kept: UnsafeMutableBufferPointer(rebasing: target[
              units.lowerBound / 64 ..< (units.upperBound + 63) / 64]))
        }
      }
      initialized = wordCount
    }
    return PruningMask(count: values.count, words: words)
  }

  /// The pattern with `norms` attached when its score reads them (Wanda).
  private func attaching(_ norms: UnsafeBufferPointer<Float>) -> bonsai_nm_pattern {
    var attached = pattern
    if attached.score == BONSAI_NM_ABS_TIMES_NORM {
      precondition(norms.count == attached.columns, "one input norm per column")
      attached.norms = norms.baseAddress
    }
    return attached
  }

  /// How the kernel reads `Scalar`, when it reads it at all.
  private static func format<Scalar: PrunableScalar>(of _: Scalar.Type)
    -> bonsai_element_format?
  {
    if Scalar.self == Float.self { return BONSAI_ELEMENT_F32 }
    if Scalar.self == Float16.self { return BONSAI_ELEMENT_F16 }
    if Scalar.self == BFloat16.self { return BONSAI_ELEMENT_BF16 }
    return nil
  }
}

extension Kernels {
  /// Prunes the N:M `pattern` in the weights `bytes` (whole groups, the first in column
  /// `firstColumn`), writing the kept bits of every word they cover to `kept` and, with
  /// `zeroing`, +0 over the pruned weights. The corresponding C function is
  /// `bonsai_select_nm`.
  static func selectSemiStructured(
    _ bytes: UnsafeMutableRawBufferPointer, pattern: bonsai_nm_pattern, firstColumn: Int,
    zeroing: Bool, kept: UnsafeMutableBufferPointer<UInt64>
  ) {
    let size = pattern.format == BONSAI_ELEMENT_F32 ? 4 : 2
    let count = bytes.count / size
    precondition(count % pattern.group == 0 && kept.count == (count + 63) / 64)
    precondition(pattern.pruned <= pattern.group && pattern.columns % pattern.group == 0)
    precondition(pattern.norms != nil || pattern.score != BONSAI_NM_ABS_TIMES_NORM)
    guard let base = bytes.baseAddress, let words = kept.baseAddress else { return }
    withUnsafePointer(to: pattern) { pattern in
      bonsai_select_nm(base, count, pattern, firstColumn, zeroing ? 1 : 0, words)
    }
  }
}
