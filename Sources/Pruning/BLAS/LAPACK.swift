// The only file that calls LAPACK: Debian's OpenBLAS exports LAPACK's Fortran entry points
// (declared in the COpenBLAS shim, column-major, arguments by pointer) but no LAPACKE.
// Sizes cross into C with trapping conversions; pointers never leave this file.

import COpenBLAS

/// Bonsai's use of the LAPACK routines OpenBLAS ships.
enum LAPACK {
  /// Factors the symmetric positive-definite row-major `a` in place as `L·Lᵀ`, leaving `L`
  /// in its lower triangle (the strict upper triangle is not read and is left as it was):
  /// `dpotrf_`. A row-major lower triangle is LAPACK's column-major upper one, hence `"U"`.
  ///
  /// - Returns: nil on success, or the first row (0-based) whose pivot is not positive.
  static func choleskyLower(_ a: MatrixView<Double>) -> Int? {
    precondition(a.rows == a.columns, "a Cholesky factor needs a square matrix")
    guard !a.isEmpty else { return nil }
    var uplo = CChar(UInt8(ascii: "U"))
    var order = Int32(a.rows)
    var leading = Int32(a.stride)
    var info: Int32 = 0
    dpotrf_(&uplo, &order, a.base, &leading, &info)
    precondition(info >= 0, "dpotrf_ rejected argument \(-info)")
    return info == 0 ? nil : Int(info) - 1
  }
}
