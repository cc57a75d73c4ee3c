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
///
/// ## The rule for every OpenBLAS call in Bonsai (GEMM and LAPACK included)
///
/// Bonsai runs inside other people's processes, and OpenBLAS's thread count is process-wide:
/// a server that runs its own matmuls through OpenBLAS must find it as it left it. So:
///
/// 1. **Never change OpenBLAS's settings.** No `openblas_set_num_threads`, no
///    `goto_set_num_threads`, and no `openblas_set_num_threads_local` (OpenBLAS ≥ 0.3.26):
///    despite its name, in the pthreads build (Debian's default) it sets the same
///    process-wide count and returns the old one, so a save-and-restore around a call races
///    with the host's own calls and threads.
/// 2. **Keep every call below the size at which OpenBLAS threads it**, so that it runs on
///    the calling thread whatever count the host chose: its bits then do not depend on the
///    host's setting, and Bonsai's own workers (`Parallel`, fixed chunks) are not multiplied
///    by OpenBLAS's. Work larger than that is tiled by the caller on a tiling fixed by the
///    shape alone, the tiles shared among `Parallel` workers and their results combined in
///    a fixed order.
/// 3. **Routines that cannot be tiled that small are not called through OpenBLAS**; their
///    inner loops go to `CPruningKernels` instead.
///
/// Measured on Debian's OpenBLAS 0.3.21 (pthreads, `DYNAMIC_ARCH`, GEMM_MULTITHREAD_THRESHOLD
/// 4) with the host at 2 threads, by watching the CPU time of OpenBLAS's worker threads:
///
/// | routine | runs on the calling thread while | source |
/// |---|---|---|
/// | `cblas_snrm2` | always (x86-64 kernel not threaded) | kernel/x86_64 `nrm2_sse.S` |
/// | `cblas_sasum` | n < 200 000 (min(threads, n / 100 000) threads) | kernel/x86_64/sasum.c |
/// | `cblas_sgemv`, `cblas_dgemv` | m·n < 2304 × 4 = 9216 | interface/gemv.c |
/// | `cblas_sgemm`, `cblas_dgemm` | m·n·k < 524 288 (2 × 65536 × 4) at least | interface/gemm.c |
/// | `spotrf_`, `dpotrf_` (and `potri`, `trtri` through them) | n < 64 | interface/lapack |
///
/// Bonsai's own calls: `cblas_snrm2` per row (never threaded), `cblas_sasum` per row in
/// pieces of at most `longestSum` elements; column sums are summed by the C kernel
/// `bonsai_add_column_sums_f32` rather than `cblas_dgemv`, whose threshold (a build option
/// of OpenBLAS) would cut a band of rows into pieces too small to be worth a call.
///
/// **Not yet within rule 2: SparseGPT** (`BLAS+Level3.swift`, `LAPACK.swift`). Its Cholesky
/// runs `dpotrf_` on 256 × 256 diagonal tiles with `dtrsm`/`dsyrk`/`dgemm` updates, and its
/// sweep one `cblas_sgemm` per 128-column block and 256-row band — sizes at which OpenBLAS
/// threads when the host allows it. It changes no setting (rule 1 holds), and its tiling is
/// fixed by the shape, but with a host at several OpenBLAS threads those calls use them on
/// top of Bonsai's workers. Bringing it under rule 2 (tiles of at most 64 × 64 × 64, diagonal
/// blocks under 64) is the open step.
enum BLAS {
  /// The longest vector given to `cblas_sasum` in one call: OpenBLAS 0.3.21 splits a sum of
  /// n elements among min(threads, n / 100 000) of its threads.
  static let longestSum = 1 << 16

  /// The most elements one CBLAS call takes: its sizes are `Int32`.
  static let maximumCallCount = Int(Int32.max)

  /// The norm of a strided view: `cblas_snrm2` (L2) or `cblas_sasum` (L1).
  ///
  /// A view longer than one call may take is split into consecutive pieces whose results
  /// are combined in Double, in order, and rounded once to Float: the L1 sums added, the L2
  /// norms as the root of the sum of their squares. An L1 piece is at most `longestSum`
  /// elements (below OpenBLAS's threading size), an L2 piece at most `maximumCallCount`
  /// (a row of more than 2³¹ − 1 weights); `pieceCount` lowers both, for tests.
  static func norm(
    _ vector: StridedVector, _ kind: NormKind, pieceCount: Int = maximumCallCount
  ) -> Float {
    precondition(pieceCount >= 1 && pieceCount <= maximumCallCount)
    let limit = kind == .l1 ? min(pieceCount, longestSum) : pieceCount
    let stride = Int32(vector.stride)
    func piece(_ start: Int, _ count: Int) -> Float {
      let base = vector.buffer.baseAddress.map { $0 + vector.start + start * vector.stride }
      switch kind {
      case .l1: return cblas_sasum(Int32(count), base, stride)
      case .l2: return cblas_snrm2(Int32(count), base, stride)
      }
    }
    guard vector.count > limit else { return piece(0, vector.count) }
    var total = 0.0
    for start in Swift.stride(from: 0, to: vector.count, by: limit) {
      let partial = Double(piece(start, min(limit, vector.count - start)))
      total += kind == .l1 ? partial : partial * partial
    }
    return Float(kind == .l1 ? total : total.squareRoot())
  }
}
