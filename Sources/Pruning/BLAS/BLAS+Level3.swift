// The matrix-matrix calls (CBLAS level 3) behind SparseGPT, its Hessians and the output
// error. Sizes cross into C with trapping conversions; pointers never leave this file.

import COpenBLAS

extension BLAS {
  /// Whether an operand is used as it is or transposed.
  enum Operand {
    case plain, transposed

    fileprivate var cblas: CBLAS_TRANSPOSE { self == .plain ? CblasNoTrans : CblasTrans }
  }

  /// `C ← C + A·B` in single precision: `cblas_sgemm`, row-major.
  static func addProduct(
    _ a: MatrixView<Float>, _ b: MatrixView<Float>, to c: MatrixView<Float>
  ) {
    precondition(a.rows == c.rows && b.columns == c.columns && a.columns == b.rows, "shapes")
    guard !c.isEmpty && a.columns > 0 else { return }
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(c.rows), Int32(c.columns),
      Int32(a.columns), 1, a.base, Int32(a.stride), b.base, Int32(b.stride), 1, c.base,
      Int32(c.stride))
  }

  /// `C ← α·op(A)·op(B) + β·C` in double precision: `cblas_dgemm`, row-major.
  static func multiply(
    _ a: MatrixView<Double>, _ opA: Operand, _ b: MatrixView<Double>, _ opB: Operand,
    into c: MatrixView<Double>, alpha: Double = 1, beta: Double = 0
  ) {
    let (m, k) = opA == .plain ? (a.rows, a.columns) : (a.columns, a.rows)
    let (kb, n) = opB == .plain ? (b.rows, b.columns) : (b.columns, b.rows)
    precondition(m == c.rows && n == c.columns && k == kb, "shapes")
    guard !c.isEmpty else { return }
    guard k > 0 else {
      scale(c, by: beta)
      return
    }
    cblas_dgemm(
      CblasRowMajor, opA.cblas, opB.cblas, Int32(m), Int32(n), Int32(k), alpha, a.base,
      Int32(a.stride), b.base, Int32(b.stride), beta, c.base, Int32(c.stride))
  }

  /// The lower triangle of `C ← Aᵀ·A + β·C` in double precision: `cblas_dsyrk`, row-major;
  /// the strict upper triangle of `C` is not touched.
  static func lowerGram(of a: MatrixView<Double>, into c: MatrixView<Double>, beta: Double) {
    precondition(c.rows == a.columns && c.columns == a.columns, "shapes")
    guard !c.isEmpty else { return }
    guard a.rows > 0 else {
      scale(c, by: beta)
      return
    }
    cblas_dsyrk(
      CblasRowMajor, CblasLower, CblasTrans, Int32(c.rows), Int32(a.rows), 1, a.base,
      Int32(a.stride), beta, c.base, Int32(c.stride))
  }

  /// Solves with the lower-triangular `L` in place of `B`, in double precision
  /// (`cblas_dtrsm`, row-major, non-unit diagonal): `L·X = B` (`.plain`) or `X·Lᵀ = B`
  /// (`.transposed`, `L` on the right).
  static func solveLower(_ l: MatrixView<Double>, _ op: Operand, _ b: MatrixView<Double>) {
    precondition(l.rows == l.columns, "L must be square")
    precondition((op == .plain ? b.rows : b.columns) == l.rows, "shapes")
    guard !b.isEmpty else { return }
    cblas_dtrsm(
      CblasRowMajor, op == .plain ? CblasLeft : CblasRight, CblasLower, op.cblas, CblasNonUnit,
      Int32(b.rows), Int32(b.columns), 1, l.base, Int32(l.stride), b.base, Int32(b.stride))
  }

  /// `C ← β·C`, the meaning of a product with an empty inner dimension.
  private static func scale(_ c: MatrixView<Double>, by beta: Double) {
    for row in 0 ..< c.rows {
      let start = c.start + row * c.stride
      for index in start ..< start + c.columns { c.buffer[index] *= beta }
    }
  }
}
