// The only file that calls CBLAS. Sizes cross into C with trapping conversions; pointers
// never leave this file.

import COpenBLAS

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
/// | `cblas_sgemv`, `cblas_dgemv` | m·n < 2304 × 4 = 9216 | interface/gemv.c |
/// | `cblas_sgemm`, `cblas_dgemm` | m·n·k < 524 288 (2 × 65536 × 4) at least | interface/gemm.c |
/// | `spotrf_`, `dpotrf_` (and `potri`, `trtri` through them) | n < 64 | interface/lapack |
///
/// Bonsai's own calls: `cblas_snrm2` per row (never threaded). Row sums of |x| are summed by
/// the C kernel `bonsai_absolute_sum_f32` rather than `cblas_sasum` (which sums in Float;
/// in a C test on this project's machine it took 5.4 ms over the rows of a 4096 × 4096
/// matrix against 2.5 ms for the kernel, and was no faster on two threads), and column sums by `bonsai_add_column_sums_f32` rather than
/// `cblas_dgemv`, whose threshold (a build option of OpenBLAS) would cut a band of rows into
/// pieces too small to be worth a call.
///
/// **Not yet within rule 2: SparseGPT** (`BLAS+Level3.swift`, `LAPACK.swift`). Its Cholesky
/// runs `dpotrf_` on 256 × 256 diagonal tiles with `dtrsm`/`dsyrk`/`dgemm` updates, and its
/// sweep one `cblas_sgemm` per 128-column block and 256-row band — sizes at which OpenBLAS
/// threads when the host allows it. It changes no setting (rule 1 holds), and its tiling is
/// fixed by the shape, but with a host at several OpenBLAS threads those calls use them on
/// top of Bonsai's workers. Bringing it under rule 2 (tiles of at most 64 × 64 × 64, diagonal
/// blocks under 64) is the open step.
enum BLAS {
  /// The most elements one CBLAS call takes: its sizes are `Int32`.
  static let maximumCallCount = Int(Int32.max)

  /// The Euclidean norm of a strided view: `cblas_snrm2`.
  ///
  /// A view longer than one call may take (a row of more than 2³¹ − 1 weights; `pieceCount`
  /// lowers the limit, for tests) is split into consecutive pieces whose norms are combined
  /// in Double, in order, as the root of the sum of their squares, rounded once to Float.
  static func euclideanNorm(_ vector: StridedVector, pieceCount: Int = maximumCallCount) -> Float {
    precondition(pieceCount >= 1 && pieceCount <= maximumCallCount)
    func piece(_ start: Int, _ count: Int) -> Float {
      let base = vector.buffer.baseAddress.map { $0 + vector.start + start * vector.stride }
      return cblas_snrm2(Int32(count), base, Int32(vector.stride))
    }
    guard vector.count > pieceCount else { return piece(0, vector.count) }
    var total = 0.0
    for start in Swift.stride(from: 0, to: vector.count, by: pieceCount) {
      let partial = Double(piece(start, min(pieceCount, vector.count - start)))
      total += partial * partial
    }
    return Float(total.squareRoot())
  }
}
