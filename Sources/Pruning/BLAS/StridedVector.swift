/// A borrowed view of `count` floats of a buffer, `stride` apart from `start`: a row of a
/// row-major matrix (stride 1) or a column (stride = the column count). Nothing is copied.
struct StridedVector {
  let buffer: UnsafeBufferPointer<Float>
  let start: Int
  let count: Int
  let stride: Int

  /// A view, checked to lie inside `buffer`.
  init(_ buffer: UnsafeBufferPointer<Float>, start: Int, count: Int, stride: Int) {
    precondition(count > 0 && stride > 0 && start >= 0, "invalid strided view")
    precondition(start + (count - 1) * stride < buffer.count, "strided view past the buffer")
    self.buffer = buffer
    self.start = start
    self.count = count
    self.stride = stride
  }

  /// Row `row` of a row-major `rows × columns` matrix.
  static func row(_ row: Int, of matrix: UnsafeBufferPointer<Float>, columns: Int) -> Self {
    StridedVector(matrix, start: row * columns, count: columns, stride: 1)
  }
}
