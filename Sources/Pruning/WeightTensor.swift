/// A named, row-major tensor of `Float` weights.
///
/// A tensor's shape product always equals its number of values; the initializer checks it.
/// Rank-2 tensors are `[out, in]` matrices: rows are output neurons, columns input features.
public struct WeightTensor: Sendable, Hashable {
  /// The tensor's name, as in the checkpoint (`"layers.0.mlp.up_proj.weight"`).
  public let name: String
  /// The extent of each dimension, outermost first. `[]` is a scalar.
  public let shape: [Int]
  /// The weights in row-major order.
  public internal(set) var values: [Float]

  /// Creates a tensor, checking that `shape` holds exactly `values.count` elements.
  ///
  /// - Throws: `PruningError.shapeMismatch` when a dimension is negative or the shape's
  ///   product differs from the number of values.
  public init(name: String, shape: [Int], values: [Float]) throws(PruningError) {
    guard let product = Self.elementCount(of: shape), product == values.count else {
      throw .shapeMismatch(name: name, shape: shape, valueCount: values.count)
    }
    self.name = name
    self.shape = shape
    self.values = values
  }

  /// The number of elements: the product of the shape.
  public var count: Int { values.count }

  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// The product of `shape`, or nil when a dimension is negative or the product overflows.
  static func elementCount(of shape: [Int]) -> Int? {
    var product = 1
    for extent in shape {
      guard extent >= 0 else { return nil }
      let (next, overflow) = product.multipliedReportingOverflow(by: extent)
      guard !overflow else { return nil }
      product = next
    }
    return product
  }
}
