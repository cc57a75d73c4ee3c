// The only file that calls CBLAS. Sizes cross into C with trapping conversions; pointers
// never leave this file.

import COpenBLAS

/// The norm a unit is scored by.
enum NormKind {
  /// The sum of |x|.
  case l1
  /// The Euclidean norm.
  case l2
}

/// Bonsai's use of OpenBLAS's CBLAS interface.
enum BLAS {
  /// OpenBLAS runs single-threaded inside Bonsai, set once here: Bonsai splits the work
  /// over threads itself, and OpenBLAS threads on top of those would oversubscribe the
  /// cores. A process that links Bonsai and wants OpenBLAS threads elsewhere can call
  /// `openblas_set_num_threads` after Bonsai's first call.
  private static let singleThreaded: Void = openblas_set_num_threads(1)

  /// The most elements one CBLAS call takes: its sizes are `Int32`.
  static let maximumCallCount = Int(Int32.max)

  /// The norm of a strided view: `cblas_snrm2` (L2) or `cblas_sasum` (L1).
  ///
  /// A view longer than `pieceCount` (a row of more than 2³¹ − 1 weights) is split into
  /// calls that fit, their results combined in Double: the L1 sums added, the L2 norms as
  /// the root of the sum of their squares.
  static func norm(
    _ vector: StridedVector, _ kind: NormKind, pieceCount: Int = maximumCallCount
  ) -> Float {
    _ = singleThreaded
    precondition(pieceCount >= 1 && pieceCount <= maximumCallCount)
    let stride = Int32(vector.stride)
    func piece(_ start: Int, _ count: Int) -> Float {
      let base = vector.buffer.baseAddress.map { $0 + vector.start + start * vector.stride }
      switch kind {
      case .l1: return cblas_sasum(Int32(count), base, stride)
      case .l2: return cblas_snrm2(Int32(count), base, stride)
      }
    }
    guard vector.count > pieceCount else { return piece(0, vector.count) }
    var total = 0.0
    for start in Swift.stride(from: 0, to: vector.count, by: pieceCount) {
      let partial = Double(piece(start, min(pieceCount, vector.count - start)))
      total += kind == .l1 ? partial : partial * partial
    }
    return Float(kind == .l1 ? total : total.squareRoot())
  }

  /// Adds the column sums of a row-major `rows × columns` block to `sums`:
  /// `cblas_dgemv` of the transposed block with a vector of ones, β = 1.
  static func accumulateColumnSums(
    of block: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
    ones: UnsafeBufferPointer<Double>, into sums: UnsafeMutableBufferPointer<Double>
  ) {
    _ = singleThreaded
    precondition(block.count >= rows * columns && ones.count >= rows && sums.count >= columns)
    cblas_dgemv(
      CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1, block.baseAddress,
      Int32(columns), ones.baseAddress, 1, 1, sums.baseAddress, 1)
  }
}
