/// A borrowed view of a row-major matrix inside a buffer: `rows × columns` elements, row `r`
/// starting `r × stride` elements after `start`. Nothing is copied; sub-blocks are views of
/// the same buffer, checked to lie inside it before any pointer arithmetic.
struct MatrixView<Scalar> {
  let buffer: UnsafeMutableBufferPointer<Scalar>
  let start: Int
  let rows: Int
  let columns: Int
  let stride: Int

  /// A view, checked to lie inside `buffer`; `stride` defaults to `columns` (a dense matrix).
  init(
    _ buffer: UnsafeMutableBufferPointer<Scalar>, rows: Int, columns: Int, stride: Int? = nil,
    start: Int = 0
  ) {
    let stride = stride ?? columns
    precondition(rows >= 0 && columns >= 0 && start >= 0 && stride >= columns, "invalid matrix view")
    precondition(
      rows == 0 || columns == 0 || start + (rows - 1) * stride + columns <= buffer.count,
      "matrix view past the buffer")
    self.buffer = buffer
    self.start = start
    self.rows = rows
    self.columns = columns
    self.stride = stride
  }

  /// The sub-block of rows `rows` and columns `columns`.
  func block(rows: Range<Int>, columns: Range<Int>) -> MatrixView {
    precondition(rows.upperBound <= self.rows && columns.upperBound <= self.columns, "block out of range")
    return MatrixView(
      buffer, rows: rows.count, columns: columns.count, stride: stride,
      start: start + rows.lowerBound * stride + columns.lowerBound)
  }

  /// The element at (`row`, `column`).
  subscript(row: Int, column: Int) -> Scalar {
    get { buffer[start + row * stride + column] }
    nonmutating set { buffer[start + row * stride + column] = newValue }
  }

  /// Whether the view holds no element (BLAS calls on it are skipped).
  var isEmpty: Bool { rows == 0 || columns == 0 }

  /// The address of the first element, on a non-empty view: for the BLAS layer and the
  /// innermost loops, which index it only inside the view.
  var base: UnsafeMutablePointer<Scalar> {
    precondition(!isEmpty, "an empty matrix has no base address")
    guard let address = buffer.baseAddress else { preconditionFailure("empty buffer") }
    return address + start
  }
}
