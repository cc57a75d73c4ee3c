import Foundation
import ModelFolders
import Pruning
import SafeTensors

/// The pictures an HTML report draws of each tensor — its mask's structure and |w|'s
/// distribution, after pruning and, when `bonsai prune` has the input in hand, |w| before —
/// gathered while the tensors stream past, one pass over each tensor's bytes.
///
/// A reference type so that the pruning run, which streams tensors without mutating itself,
/// can hand each pruned tensor over as it is written.
final class TensorPictures {
  /// What is drawn of one tensor.
  struct Entry {
    /// The tensor as written (or as found in a checkpoint).
    let picture: TensorPicture
    /// |w| before pruning, when known.
    let before: MagnitudeHistogram?
  }

  /// The pictures by tensor name.
  private(set) var entries = [String: Entry]()

  /// Records `after`, the bytes of tensor `info` as written with `shape`, and |w| of
  /// `before`, its bytes as read.
  func add(
    _ info: TensorInfo, shape: [Int], before: UnsafeRawBufferPointer?, after: UnsafeRawBufferPointer
  ) {
    entries[info.name] = Self.entry(
      dtype: info.dtype.checkedPrunableScalar, shape: shape, before: before, after: after)
  }

  private static func entry<Scalar: PrunableScalar>(
    dtype: Scalar.Type, shape: [Int], before: UnsafeRawBufferPointer?,
    after: UnsafeRawBufferPointer
  ) -> Entry {
    let rows = shape.count < 2 ? 1 : shape[0]
    let columns = shape.count < 2 ? shape.reduce(1, *) : shape.dropFirst().reduce(1, *)
    let picture = withAlignedElements(after, as: Scalar.self) {
      TensorPicture(of: $0, rows: rows, columns: columns)
    }
    let histogram = before.map { bytes in
      withAlignedElements(bytes, as: Scalar.self) { MagnitudeHistogram(magnitudesOf: $0) }
    }
    return Entry(picture: picture, before: histogram)
  }
}

extension TensorPictures.Entry: Encodable {
  private enum CodingKeys: String, CodingKey {
    case grid, rows, columns, patch, after, before
  }

  /// The compact form the page's script draws from: grid densities as one byte per cell
  /// in base64 (0 only for an empty cell, 255 only for a full one), patch rows as hex words.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(Grid(picture.grid), forKey: .grid)
    try container.encode(Profile(picture.rowDensities), forKey: .rows)
    try container.encode(Profile(picture.columnDensities), forKey: .columns)
    try container.encode(Patch(picture.patch), forKey: .patch)
    try container.encode(Histogram(picture.histogram), forKey: .after)
    try container.encodeIfPresent(before.map(Histogram.init), forKey: .before)
  }

  private struct Grid: Encodable {
    let rows: Int
    let columns: Int
    let cellRows: Int
    let cellColumns: Int
    let density: String

    init(_ grid: DensityGrid) {
      (rows, columns, cellRows, cellColumns) = (grid.rows, grid.columns, grid.cellRows, grid.cellColumns)
      var bytes = [UInt8]()
      bytes.reserveCapacity(grid.nonzero.count)
      for cellRow in 0 ..< grid.cellRows {
        for cellColumn in 0 ..< grid.cellColumns {
          let density = grid.density(cellRow: cellRow, cellColumn: cellColumn)
          bytes.append(
            density == 0 ? 0 : density == 1 ? 255 : UInt8(min(max((density * 255).rounded(), 1), 254)))
        }
      }
      density = Data(bytes).base64EncodedString()
    }
  }

  private struct Profile: Encodable {
    let empty: Int
    let full: Int
    let partial: [Int]

    init(_ profile: DensityProfile) {
      (empty, full, partial) = (profile.empty, profile.full, profile.partial)
    }
  }

  private struct Patch: Encodable {
    let rows: Int
    let columns: Int
    let words: [String]

    init(_ patch: MaskPatch) {
      (rows, columns) = (patch.rows, patch.columns)
      words = patch.words.map { word in
        let hex = String(word, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
      }
    }
  }

  private struct Histogram: Encodable {
    let zeros: Int
    let nonFinite: Int
    let firstBin: Int
    let counts: [Int]

    init(_ histogram: MagnitudeHistogram) {
      (zeros, nonFinite, firstBin, counts) =
        (histogram.zeros, histogram.nonFinite, histogram.firstBin, histogram.counts)
    }
  }
}
