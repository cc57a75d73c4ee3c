/// The exact mask of a matrix's top-left corner, element by element: at the scale where
/// N:M groups and small blocks show, which a down-sampled grid averages away.
public struct MaskPatch: Sendable, Hashable {
  /// The most rows a patch has.
  public static let maximumRows = 32
  /// The most columns a patch has: one 64-bit word per row.
  public static let maximumColumns = 64

  /// The rows of the patch: the matrix's, up to `maximumRows`.
  public let rows: Int
  /// The columns of the patch: the matrix's, up to `maximumColumns`.
  public let columns: Int
  /// One word per row: bit `c` is set when the element in column `c` is nonzero.
  public let words: [UInt64]

  /// A patch from its words.
  init(rows: Int, columns: Int, words: [UInt64]) {
    precondition(words.count == rows && columns <= Self.maximumColumns, "one word per row")
    self.rows = rows
    self.columns = columns
    self.words = words
  }

  /// Whether the element at `row`, `column` is nonzero.
  public func isNonzero(row: Int, column: Int) -> Bool {
    precondition((0 ..< rows).contains(row) && (0 ..< columns).contains(column), "outside the patch")
    return words[row] >> UInt64(column) & 1 == 1
  }
}
