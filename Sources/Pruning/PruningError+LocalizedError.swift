import FoundationEssentials

// Servers log `error.localizedDescription`; without this conformance Foundation makes it
// "The operation could not be completed. (Pruning.PruningError error 6.)".
extension PruningError: LocalizedError {
  /// The one-line message of `description`, so that `localizedDescription` says what is
  /// wrong and where.
  public var errorDescription: String? { description }
}
