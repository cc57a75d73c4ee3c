/// What ``SafeTensorsWriter`` needs to know about a tensor before its bytes arrive: enough to
/// compute the header, and with it every tensor's offsets.
public struct TensorHeader: Sendable, Hashable {
  /// The tensor's name; must be unique within a file and must not be `"__metadata__"`.
  public let name: String
  /// The element type.
  public let dtype: DType
  /// The dimensions, outermost first; `[]` for a scalar. Dimensions must be non-negative.
  public let shape: [Int]

  /// Describes a tensor to be written.
  /// - Parameters:
  ///   - name: Unique within the file; `"__metadata__"` is reserved.
  ///   - dtype: The element type.
  ///   - shape: Non-negative dimensions; `[]` for a scalar.
  public init(name: String, dtype: DType, shape: [Int]) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
  }
}
