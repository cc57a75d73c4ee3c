// Shorthands shared by the tests of the further pruning methods (N:M, blocks, per-row and
// global scopes, score inputs, iterative rounds, schedule, compaction): matrix shapes worth
// trying, pruned flags in the reference's convention, and checks of the zeroed values.

import Testing
import TestSupport
@testable import Pruning

/// A `rows × columns` matrix shape.
struct MatrixShape: Sendable, Hashable, CustomTestStringConvertible {
  let rows: Int
  let columns: Int

  init(_ rows: Int, _ columns: Int) {
    self.rows = rows
    self.columns = columns
  }

  var count: Int { rows * columns }
  var dimensions: [Int] { [rows, columns] }
  var testDescription: String { "\(rows)×\(columns)" }
}

/// Awkward shapes: a single row, sizes that are no power of two, one above the 32-key group
/// limit and a word-straddling row length.
let awkwardShapes: [MatrixShape] = [.init(1, 8), .init(7, 12), .init(33, 64), .init(5, 9)]

/// One Bool per element, `true` where the mask prunes (the reference's convention).
func prunedFlags(_ mask: PruningMask) -> [Bool] {
  keptFlags(mask).map { !$0 }
}

/// The first element whose pruned values disagree with `pruned`: a pruned element must be
/// +0 exactly, a kept one bit-identical to `original`. Nil when all agree.
func firstWrongValue(_ values: [Float], original: [Float], pruned: [Bool]) -> Int? {
  values.indices.first { index in
    values[index].bitPattern != (pruned[index] ? 0 : original[index].bitPattern)
  }
}

/// `count` floats uniform in `range` with about `zeroFraction` of them +0 or −0 (alternately).
func valuesWithZeros(
  _ generator: inout SeededGenerator, _ count: Int, zeroFraction: Float,
  in range: ClosedRange<Float> = -1 ... 1
) -> [Float] {
  let draws = generator.uniformFloats(count, in: 0 ... 1)
  let values = generator.uniformFloats(count, in: range)
  return (0 ..< count).map { index in
    guard draws[index] < zeroFraction else { return values[index] }
    return index % 2 == 0 ? 0 : -0.0
  }
}

/// The element mask (`true` = pruned) of a decision over blocks (`true` = pruned).
func blockElementsPruned(
  _ blockPruned: [Bool], shape: MatrixShape, blockRows: Int, blockColumns: Int
) -> [Bool] {
  var pruned = [Bool](repeating: false, count: shape.count)
  let blocks = ReferenceMethods.blockElements(
    rows: shape.rows, columns: shape.columns, blockRows: blockRows, blockColumns: blockColumns)
  for (block, elements) in blocks.enumerated() where blockPruned[block] {
    for index in elements { pruned[index] = true }
  }
  return pruned
}

/// The Double sum of the element scores of every row (`alongRows`) or column, in index
/// order, rounded to `Float`: how rows and columns are scored under element metrics.
func summedUnitScores(
  _ elementScores: [Float], shape: MatrixShape, alongRows: Bool
) -> [Float] {
  var sums = [Double](repeating: 0, count: alongRows ? shape.rows : shape.columns)
  for row in 0 ..< shape.rows {
    for column in 0 ..< shape.columns {
      sums[alongRows ? row : column] += Double(elementScores[row * shape.columns + column])
    }
  }
  return sums.map { Float($0) }
}

/// The bits of any prunable scalar, widened to 32 bits.
func scalarBits<Scalar: PrunableScalar>(_ value: Scalar) -> UInt32 {
  withUnsafeBytes(of: value) { bytes in
    bytes.count == 4 ? bytes.load(as: UInt32.self) : UInt32(bytes.load(as: UInt16.self))
  }
}

/// Nil when `actual` equals `expected`; otherwise how many elements differ and the first
/// one: a short message where `#expect(a == b)` would diff and print whole large arrays.
func differences<T: Equatable>(_ actual: [T], _ expected: [T]) -> String? {
  guard actual.count == expected.count else {
    return "\(actual.count) elements, expected \(expected.count)"
  }
  let differing = actual.indices.filter { actual[$0] != expected[$0] }
  guard let first = differing.first else { return nil }
  return "\(differing.count) differ, first at \(first): \(actual[first]) for \(expected[first])"
}
