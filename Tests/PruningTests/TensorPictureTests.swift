// Pictures of a tensor for reports: the density grid, the row and column profiles, the
// corner patch and the |w| histogram, each checked against a brute-force count of the same
// matrix, in all three scalar types.

import Testing
import TestSupport
@testable import Pruning

@Suite struct TensorPictureTests {
  /// A matrix of random weights about 40 % of which are ±0.
  func sparseMatrix(rows: Int, columns: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return generator.floats(rows * columns).map { abs($0) < 0.4 ? ($0 < 0 ? -0.0 : 0) : $0 }
  }

  @Test(arguments: [(37, 53, 8), (5, 200, 64), (70, 3, 16), (1, 1, 64), (4, 130, 7)])
  func gridProfilesAndPatchMatchABruteForceCount(rows: Int, columns: Int, resolution: Int) {
    let values = sparseMatrix(rows: rows, columns: columns, seed: UInt64(rows * 1000 + columns))
    let picture = TensorPicture(of: values.span, rows: rows, columns: columns, resolution: resolution)
    let nonzero = { (row: Int, column: Int) in values[row * columns + column] != 0 }

    let grid = picture.grid
    #expect(grid.cellRows == min(rows, resolution))
    #expect(grid.cellColumns == min(columns, resolution))
    var covered = 0
    for cellRow in 0 ..< grid.cellRows {
      for cellColumn in 0 ..< grid.cellColumns {
        let rowRange = grid.rowRange(ofCellRow: cellRow)
        let columnRange = grid.columnRange(ofCellColumn: cellColumn)
        #expect(rowRange.count >= rows / grid.cellRows && rowRange.count <= rows / grid.cellRows + 1)
        var count = 0
        for row in rowRange { for column in columnRange where nonzero(row, column) { count += 1 } }
        #expect(grid.nonzero[cellRow * grid.cellColumns + cellColumn] == count)
        #expect(grid.density(cellRow: cellRow, cellColumn: cellColumn)
          == Double(count) / Double(rowRange.count * columnRange.count))
        covered += rowRange.count * columnRange.count
      }
    }
    #expect(covered == rows * columns, "the cells tile the matrix")

    func profile(_ counts: [Int], length: Int) -> (Int, Int, [Int]) {
      var partial = [Int](repeating: 0, count: 10)
      for count in counts where count > 0 && count < length {
        partial[Int((Double(count) / Double(length) * 10).rounded(.down))] += 1
      }
      return (counts.filter { $0 == 0 }.count, counts.filter { $0 == length }.count, partial)
    }
    let rowCounts = (0 ..< rows).map { row in (0 ..< columns).filter { nonzero(row, $0) }.count }
    let columnCounts = (0 ..< columns).map { column in (0 ..< rows).filter { nonzero($0, column) }.count }
    let (rowEmpty, rowFull, rowPartial) = profile(rowCounts, length: columns)
    #expect(picture.rowDensities.empty == rowEmpty)
    #expect(picture.rowDensities.full == rowFull)
    #expect(picture.rowDensities.partial == rowPartial)
    #expect(picture.rowDensities.count == rows)
    let (columnEmpty, columnFull, columnPartial) = profile(columnCounts, length: rows)
    #expect(picture.columnDensities.empty == columnEmpty)
    #expect(picture.columnDensities.full == columnFull)
    #expect(picture.columnDensities.partial == columnPartial)

    #expect(picture.patch.rows == min(rows, 32))
    #expect(picture.patch.columns == min(columns, 64))
    for row in 0 ..< picture.patch.rows {
      for column in 0 ..< picture.patch.columns {
        #expect(picture.patch.isNonzero(row: row, column: column) == nonzero(row, column))
      }
    }
  }

  @Test func histogramBinsEveryMagnitudeBetweenItsEdges() {
    var generator = SeededGenerator(seed: 5)
    let values = generator.floats(3000).map { $0 * $0 * $0 * 0.1 } + [0, -0.0, .nan, -.infinity, 1, -1.25]
    let histogram = MagnitudeHistogram(magnitudesOf: values.span)
    #expect(histogram.zeros == values.filter { $0 == 0 }.count)
    #expect(histogram.nonFinite == 2)
    #expect(histogram.count == values.count)
    var expected = [Int: Int]()
    for value in values where value != 0 && value.isFinite {
      let magnitude = abs(value)
      var bin = 0
      while MagnitudeHistogram.lowerBound(ofBin: bin + 1) <= magnitude { bin += 1 }
      expected[bin, default: 0] += 1
    }
    #expect(histogram.firstBin == expected.keys.min())
    #expect(histogram.firstBin + histogram.counts.count - 1 == expected.keys.max())
    for (offset, count) in histogram.counts.enumerated() {
      #expect(count == expected[histogram.firstBin + offset, default: 0])
    }
    #expect(MagnitudeHistogram.lowerBound(ofBin: 127 * 4) == 1)
    #expect(MagnitudeHistogram.lowerBound(ofBin: 127 * 4 + 1) == 1.25)
    #expect(MagnitudeHistogram.lowerBound(ofBin: 128 * 4) == 2)
  }

  @Test func halfPrecisionPicturesAreThoseOfTheirWidenedValues() {
    let floats = sparseMatrix(rows: 40, columns: 72, seed: 9)
    let halves = floats.map(Float16.init)
    let brains = floats.map(BFloat16.init)
    let ofHalves = TensorPicture(of: halves.span, rows: 40, columns: 72, resolution: 16)
    let ofBrains = TensorPicture(of: brains.span, rows: 40, columns: 72, resolution: 16)
    let widenedHalves = halves.map(Float.init)
    let widenedBrains = brains.map(\.widened)
    #expect(ofHalves == TensorPicture(of: widenedHalves.span, rows: 40, columns: 72, resolution: 16))
    #expect(ofBrains == TensorPicture(of: widenedBrains.span, rows: 40, columns: 72, resolution: 16))
    #expect(ofHalves.histogram == MagnitudeHistogram(magnitudesOf: halves.span))
    #expect(ofBrains.histogram == MagnitudeHistogram(magnitudesOf: brains.span))
  }

  @Test func emptyAndAllZeroTensorsHavePictures() {
    let none = [Float]()
    let empty = TensorPicture(of: none.span, rows: 0, columns: 5)
    #expect(empty.grid.cellRows == 0 && empty.grid.nonzero.isEmpty)
    #expect(empty.columnDensities.empty == 5)
    #expect(empty.histogram.count == 0 && empty.histogram.counts.isEmpty)
    let six = [Float](repeating: 0, count: 6)
    let zeros = TensorPicture(of: six.span, rows: 2, columns: 3)
    #expect(zeros.grid.nonzero == [0, 0, 0, 0, 0, 0])
    #expect(zeros.rowDensities.empty == 2 && zeros.columnDensities.empty == 3)
    #expect(zeros.histogram.zeros == 6 && zeros.histogram.counts.isEmpty)
    #expect(zeros.patch.words == [0, 0])
  }
}
