/// Checking that a tensor's score input is the one its metric needs, of the right length and
/// made of usable numbers, before anything is scored.
enum ScoreInputValidation {
  /// Throws unless `input` is what `metric` needs for a `rows × columns` tensor: gradients
  /// and scores one per weight, input norms one per column; all finite, norms ≥ 0.
  static func validate(
    _ input: ScoreInput?, metric: ImportanceMetric, name: String, rows: Int, columns: Int
  ) throws(PruningError) {
    guard let needed = metric.requiredInput else {
      if let input {
        throw .unexpectedScoreInput(name: name, metric: metric.name, given: input.kind.rawValue)
      }
      return
    }
    guard let input else {
      throw .missingScoreInput(name: name, metric: metric.name, needs: needed.rawValue)
    }
    guard input.kind == needed else {
      throw .unexpectedScoreInput(name: name, metric: metric.name, given: input.kind.rawValue)
    }
    let expected = needed == .inputNorms ? columns : rows * columns
    guard input.values.count == expected else {
      throw .scoreInputCount(
        name: name, kind: needed.rawValue, count: input.values.count, expected: expected)
    }
    try input.checkValues(name: name)
  }
}

extension ScoreInput {
  /// Throws unless the values are usable: all finite, and input norms ≥ 0. Callers that
  /// read the input from a file check it here first, so that an error names that file
  /// rather than the weights'.
  ///
  /// - Throws: `PruningError.invalidScoreInput` naming `name`, the count and the problem.
  public func checkValues(name: String) throws(PruningError) {
    let nonFinite = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    guard nonFinite == 0 else {
      throw .invalidScoreInput(
        name: name, kind: kind.rawValue, count: nonFinite, problem: "NaN or ±Inf")
    }
    if kind == .inputNorms {
      let negative = values.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
      guard negative == 0 else {
        throw .invalidScoreInput(name: name, kind: kind.rawValue, count: negative, problem: "negative")
      }
    }
  }
}
