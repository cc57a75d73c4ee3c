import Pruning
import SafeTensors

/// Which rows or columns of a matrix survive structured pruning, and the two ways of acting
/// on them in a tensor's raw bytes: zeroing the others, or removing them (compaction).
struct KeptIndices: Encodable {
  /// Whether the indices are rows (dimension 0) or columns (dimension 1).
  enum Axis: String, Encodable {
    case rows, columns
  }

  let axis: Axis
  let indices: [Int]

  /// The shape of `shape` once compacted to the kept indices.
  func compactedShape(of shape: [Int]) -> [Int] {
    var result = shape
    result[axis == .rows ? 0 : 1] = indices.count
    return result
  }

  /// Copies the kept rows or columns of `source`, a tensor of `shape` (a 1-D tensor is one
  /// column) and `dtype`, into `target`, which holds exactly the compacted tensor.
  func compact(
    _ source: UnsafeRawBufferPointer, shape: [Int], dtype: DType,
    into target: UnsafeMutableRawBufferPointer
  ) {
    let (rows, columns) = Self.matrix(shape)
    let size = dtype.bitWidth / 8
    switch axis {
    case .rows:
      Compaction.copyRows(indices, of: source, rows: rows, columns: columns, elementSize: size, into: target)
    case .columns:
      Compaction.copyColumns(indices, of: source, rows: rows, columns: columns, elementSize: size, into: target)
    }
  }

  /// Zeroes the rows or columns of `bytes` (a tensor of `shape` and `dtype`) that are not
  /// kept: every bit of their elements cleared (+0).
  func zeroOthers(_ bytes: UnsafeMutableRawBufferPointer, shape: [Int], dtype: DType) {
    let (rows, columns) = Self.matrix(shape)
    let size = dtype.bitWidth / 8
    var isKept = [Bool](repeating: false, count: axis == .rows ? rows : columns)
    for index in indices { isKept[index] = true }
    for row in 0 ..< rows {
      let rowBytes = UnsafeMutableRawBufferPointer(
        rebasing: bytes[row * columns * size ..< (row + 1) * columns * size])
      switch axis {
      case .rows:
        if !isKept[row] { rowBytes.initializeMemory(as: UInt8.self, repeating: 0) }
      case .columns:
        for column in 0 ..< columns where !isKept[column] {
          UnsafeMutableRawBufferPointer(rebasing: rowBytes[column * size ..< (column + 1) * size])
            .initializeMemory(as: UInt8.self, repeating: 0)
        }
      }
    }
  }

  /// Rows and columns of a 2-D shape; a 1-D shape is one column.
  private static func matrix(_ shape: [Int]) -> (rows: Int, columns: Int) {
    shape.count == 2 ? (shape[0], shape[1]) : (shape[0], 1)
  }
}
