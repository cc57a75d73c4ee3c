import FoundationEssentials

// Servers log `error.localizedDescription`; without this conformance Foundation makes it
// "The operation could not be completed. (SafeTensors.SafeTensorsError error 3.)".
extension SafeTensorsError: LocalizedError {
  /// The one-line message of `description`, so that `localizedDescription` names the file
  /// and what is wrong with it.
  public var errorDescription: String? { description }
}
