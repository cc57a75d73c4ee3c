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

  /// The norm of a strided view: `cblas_snrm2` (L2) or `cblas_sasum` (L1).
  static func norm(_ vector: StridedVector, _ kind: NormKind) -> Float {
    _ = singleThreaded
    let base = vector.buffer.baseAddress.map { $0 + vector.start }
    switch kind {
    case .l1: return cblas_sasum(Int32(vector.count), base, Int32(vector.stride))
    case .l2: return cblas_snrm2(Int32(vector.count), base, Int32(vector.stride))
    }
  }

  /// The column sums of a row-major `rows × columns` block, written to `sums`:
  /// `cblas_sgemv` of the transposed block with a vector of ones.
  static func columnSums(
    of block: UnsafeBufferPointer<Float>, rows: Int, columns: Int, ones: UnsafeBufferPointer<Float>,
    into sums: UnsafeMutableBufferPointer<Float>
  ) {
    _ = singleThreaded
    precondition(block.count >= rows * columns && ones.count >= rows && sums.count >= columns)
    cblas_sgemv(
      CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1, block.baseAddress,
      Int32(columns), ones.baseAddress, 1, 0, sums.baseAddress, 1)
  }
}
