/// The norm a row, column or channel is scored by.
enum NormKind {
  /// The sum of |x|.
  case l1
  /// The Euclidean norm.
  case l2
}
