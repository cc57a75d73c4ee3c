/// What one pruning decision removes: a single weight, a whole row or column, a block, or
/// the weights of an N:M pattern.
public enum PruningGranularity: Sendable, Hashable, Codable {
  /// Each weight is its own unit.
  case unstructured
  /// Whole rows of a 2-D `[out, in]` tensor: output neurons (dimension 0).
  case rows
  /// Whole columns of a 2-D `[out, in]` tensor: input features (dimension 1).
  case columns
  /// N:M semi-structured sparsity: in every group of `m` consecutive weights along a row
  /// (the input dimension of an `[out, in]` weight), the `m − keep` lowest-scoring are
  /// pruned and `keep` survive — `semiStructured(keep: 2, of: 4)` is NVIDIA's 2:4.
  case semiStructured(keep: Int, of: Int)
  /// `rows × columns` blocks tiling the matrix from its top-left corner (edge blocks may be
  /// smaller), each scored by pooling its element scores.
  case blocks(BlockShape)

  /// A short name for reports: `unstructured`, `rows`, `columns`, `2:4`, `block:4x4`
  /// (`block:4x4:max` when pooled by the maximum, which the command line writes as
  /// `--granularity block:4x4 --block-pooling max`).
  public var name: String {
    switch self {
    case .unstructured: "unstructured"
    case .rows: "rows"
    case .columns: "columns"
    case .semiStructured(let keep, let group): "\(keep):\(group)"
    case .blocks(let shape): shape.name
    }
  }

  /// Whether the granularity needs a 2-D tensor.
  public var needsMatrix: Bool { self != .unstructured }
}

/// The shape of the blocks of `PruningGranularity.blocks` and how a block's element scores
/// become its score.
public struct BlockShape: Sendable, Hashable, Codable {
  /// Rows per block (at least 1).
  public let rows: Int
  /// Columns per block (at least 1).
  public let columns: Int
  /// How a block's element scores are pooled.
  public let pooling: BlockPooling

  /// A block shape; dimensions below 1 are rejected.
  ///
  /// - Throws: `PruningError.invalidBlockShape`.
  public init(rows: Int, columns: Int, pooling: BlockPooling = .mean) throws(PruningError) {
    guard rows >= 1, columns >= 1 else {
      throw .invalidBlockShape(rows: rows, columns: columns)
    }
    self.rows = rows
    self.columns = columns
    self.pooling = pooling
  }

  /// `block:4x4`, or `block:4x4:max` when pooled by the maximum.
  public var name: String {
    "block:\(rows)x\(columns)" + (pooling == .mean ? "" : ":\(pooling.rawValue)")
  }
}

extension BlockShape {
  /// Decodes a block shape through the checking initializer.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      rows: container.decode(Int.self, forKey: .rows),
      columns: container.decode(Int.self, forKey: .columns),
      pooling: container.decode(BlockPooling.self, forKey: .pooling))
  }
}

/// How the element scores of a block become the block's score.
public enum BlockPooling: String, Sendable, Hashable, Codable, CaseIterable {
  /// The mean of the block's element scores (summed in Double).
  case mean
  /// The largest element score of the block.
  case max
}
