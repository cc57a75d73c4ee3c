// Compaction removes pruned rows or columns outright instead of leaving them as zeros: the
// tensor shrinks, and so does the work of every product with it. For a matrix W with kept
// rows R, W[R, :] · x equals (W · x)[R]; with kept columns C, W[:, C] · x[C] equals
// (pruned W) · x. Copies work on raw elements of any size, so every dtype is compacted
// without conversion.

/// Removing the pruned rows or columns of matrices.
public enum Compaction {
  /// The rows of a `rows × columns` matrix that `mask` keeps any element of, in order.
  ///
  /// - Throws: `PruningError.maskMismatch` unless the mask covers `rows × columns`.
  public static func keptRows(of mask: PruningMask, rows: Int, columns: Int)
    throws(PruningError) -> [Int]
  {
    try checkCovers(mask, rows: rows, columns: columns)
    return (0 ..< rows).filter { row in
      (row * columns ..< (row + 1) * columns).contains { mask[$0] }
    }
  }

  /// The columns of a `rows × columns` matrix that `mask` keeps any element of, in order.
  ///
  /// - Throws: `PruningError.maskMismatch` unless the mask covers `rows × columns`.
  public static func keptColumns(of mask: PruningMask, rows: Int, columns: Int)
    throws(PruningError) -> [Int]
  {
    try checkCovers(mask, rows: rows, columns: columns)
    return (0 ..< columns).filter { column in
      (0 ..< rows).contains { mask[$0 * columns + column] }
    }
  }

  /// Throws unless `mask` covers a `rows × columns` matrix.
  private static func checkCovers(_ mask: PruningMask, rows: Int, columns: Int)
    throws(PruningError)
  {
    guard WeightTensor.elementCount(of: [rows, columns]) == mask.count else {
      throw .maskMismatch(maskCount: mask.count, shape: [rows, columns])
    }
  }

  /// Copies the rows `kept` (ascending) of the row-major `rows × columns` matrix `source`,
  /// whose elements are `elementSize` bytes, into `target`, which holds exactly
  /// `kept.count × columns` elements.
  ///
  /// - Precondition: the buffers hold those sizes and every index is a row (the buffers are
  ///   the caller's memory, sized by its own code: a mismatch is a bug, not bad data).
  public static func copyRows(
    _ kept: [Int], of source: UnsafeRawBufferPointer, rows: Int, columns: Int,
    elementSize: Int, into target: UnsafeMutableRawBufferPointer
  ) {
    let rowBytes = columns * elementSize
    precondition(source.count == rows * rowBytes && target.count == kept.count * rowBytes)
    for (slot, row) in kept.enumerated() {
      precondition(row >= 0 && row < rows, "row \(row) out of 0..<\(rows)")
      UnsafeMutableRawBufferPointer(rebasing: target[slot * rowBytes ..< (slot + 1) * rowBytes])
        .copyMemory(
          from: UnsafeRawBufferPointer(rebasing: source[row * rowBytes ..< (row + 1) * rowBytes]))
    }
  }

  /// Copies the columns `kept` (ascending) of the row-major `rows × columns` matrix
  /// `source`, whose elements are `elementSize` bytes, into `target`, which holds exactly
  /// `rows × kept.count` elements. Runs of consecutive kept columns are copied at once.
  ///
  /// - Precondition: as for `copyRows`, and the indices strictly ascend.
  public static func copyColumns(
    _ kept: [Int], of source: UnsafeRawBufferPointer, rows: Int, columns: Int,
    elementSize: Int, into target: UnsafeMutableRawBufferPointer
  ) {
    precondition(
      source.count == rows * columns * elementSize
        && target.count == rows * kept.count * elementSize)
    let runs = consecutiveRuns(kept, below: columns)
    var offset = 0
    for row in 0 ..< rows {
      for run in runs {
        let start = (row * columns + run.lowerBound) * elementSize
        let length = run.count * elementSize
        UnsafeMutableRawBufferPointer(rebasing: target[offset ..< offset + length])
          .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start ..< start + length]))
        offset += length
      }
    }
  }

  /// Ascending indices as runs of consecutive ones.
  private static func consecutiveRuns(_ indices: [Int], below limit: Int) -> [Range<Int>] {
    var runs = [Range<Int>]()
    for index in indices {
      precondition(index >= 0 && index < limit, "index \(index) out of 0..<\(limit)")
      if let last = runs.last, last.upperBound == index {
        runs[runs.count - 1] = last.lowerBound ..< index + 1
      } else {
        precondition(runs.last.map { $0.upperBound <= index } ?? true, "indices not ascending")
        runs.append(index ..< index + 1)
      }
    }
    return runs
  }
}

extension WeightTensor {
  /// The matrix reduced to the rows `kept` (ascending): shape `[kept.count, columns]`.
  ///
  /// - Throws: `PruningError.notAMatrix` for a tensor that is not 2-D,
  ///   `.invalidIndices` unless every index is a row of it, in ascending order.
  public func keepingRows(_ kept: [Int]) throws(PruningError) -> WeightTensor {
    try checkKept(kept, axis: 0, "rows")
    return compacted(shape: [kept.count, shape[1]]) { source, target in
      Compaction.copyRows(
        kept, of: source, rows: shape[0], columns: shape[1], elementSize: 4, into: target)
    }
  }

  /// The matrix reduced to the columns `kept` (ascending): shape `[rows, kept.count]`.
  ///
  /// - Throws: `PruningError.notAMatrix` for a tensor that is not 2-D,
  ///   `.invalidIndices` unless every index is a column of it, in ascending order.
  public func keepingColumns(_ kept: [Int]) throws(PruningError) -> WeightTensor {
    try checkKept(kept, axis: 1, "columns")
    return compacted(shape: [shape[0], kept.count]) { source, target in
      Compaction.copyColumns(
        kept, of: source, rows: shape[0], columns: shape[1], elementSize: 4, into: target)
    }
  }

  /// Throws unless the tensor is a matrix and `kept` are ascending indices along `axis`.
  private func checkKept(_ kept: [Int], axis: Int, _ what: String) throws(PruningError) {
    guard shape.count == 2 else {
      throw .notAMatrix(name: name, shape: shape, granularity: "keeping \(what)")
    }
    for (slot, index) in kept.enumerated() {
      guard index >= 0 && index < shape[axis] else {
        throw .invalidIndices(
          name: name, problem: "kept \(what): \(index) is outside 0..<\(shape[axis])")
      }
      guard slot == 0 || kept[slot - 1] < index else {
        throw .invalidIndices(name: name, problem: "kept \(what) are not strictly ascending")
      }
    }
  }

  /// The matrix of `newShape` whose values `copy` writes.
  private func compacted(
    shape newShape: [Int],
    _ copy: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) -> Void
  ) -> WeightTensor {
    let count = newShape[0] * newShape[1]
    let values = [Float](unsafeUninitializedCapacity: count) { target, initialized in
      self.values.withUnsafeBytes { copy($0, UnsafeMutableRawBufferPointer(target)) }
      initialized = count
    }
    do {
      return try WeightTensor(name: name, shape: newShape, values: values)
    } catch {
      preconditionFailure("compacted shape \(newShape) does not hold its values")
    }
  }
}
