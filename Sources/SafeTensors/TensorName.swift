/// A tensor name as a key, equal to another only when their UTF-8 bytes are.
///
/// Swift's `String ==` uses canonical equivalence: `"é"` (U+00E9) equals `"e\u{301}"`. A
/// safetensors header keys its tensors by bytes (Python's safetensors loads a file holding
/// both), so a name keyed as a `String` would merge two tensors, call a valid file a
/// duplicate, or find one tensor's activations under the other's name.
public struct TensorName: Hashable, Sendable, CustomStringConvertible {
  /// The name.
  public let string: String

  /// The key of `string`.
  public init(_ string: String) {
    self.string = string
  }

  /// Whether the two names have the same UTF-8 bytes.
  public static func == (lhs: TensorName, rhs: TensorName) -> Bool {
    lhs.string.utf8.elementsEqual(rhs.string.utf8)
  }

  /// Hashes the UTF-8 bytes.
  public func hash(into hasher: inout Hasher) {
    var string = string
    string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
  }

  /// The name.
  public var description: String { string }
}
