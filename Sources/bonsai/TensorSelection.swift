import Pruning
import SafeTensors

/// Which tensors of a checkpoint `bonsai prune` prunes, and why it skips the others.
///
/// Default rule: floating-point (F32, F16, BF16) tensors of rank 2 whose names contain
/// neither `embed` nor `lm_head`. `--include` replaces the default rule with "names matching
/// any of these"; `--exclude` then removes names matching any of these. Whatever the rule,
/// only F32, F16 and BF16 tensors with at least one element can be pruned.
struct TensorSelection {
  /// Patterns whose matches are pruned instead of the default rule (none: the default).
  let include: [(pattern: String, regex: Regex<AnyRegexOutput>)]
  /// Patterns whose matches are never pruned.
  let exclude: [(pattern: String, regex: Regex<AnyRegexOutput>)]

  /// A selection from the command line's patterns.
  ///
  /// - Throws: `ValidationError`-style `CommandLineError` naming the pattern that does not
  ///   compile.
  init(include: [String], exclude: [String]) throws(CommandLineError) {
    func compile(_ patterns: [String], _ option: String) throws(CommandLineError)
      -> [(String, Regex<AnyRegexOutput>)]
    {
      var compiled = [(String, Regex<AnyRegexOutput>)]()
      for pattern in patterns {
        do {
          compiled.append((pattern, try Regex(pattern)))
        } catch {
          throw .usage("\(option) \"\(pattern)\" is not a valid regular expression: \(error)")
        }
      }
      return compiled
    }
    self.include = try compile(include, "--include")
    self.exclude = try compile(exclude, "--exclude")
  }

  /// Checks that every `--exclude` pattern matches a tensor of `tensors`: one that matches
  /// none is most likely a typo, which would prune what it was meant to keep.
  func checkExclusions(of tensors: [TensorInfo], in path: String) throws(CommandLineError) {
    for (pattern, regex) in exclude where !tensors.contains(where: { $0.name.contains(regex) }) {
      throw .usage("--exclude \"\(pattern)\" matches no tensor of \(path); it would exclude nothing")
    }
  }

  /// Why `tensor` is skipped, or nil when it is pruned.
  func skipReason(for tensor: TensorInfo) -> String? {
    if let reason = exclusionReason(for: tensor) { return reason }
    if include.isEmpty {
      if tensor.shape.count != 2 { return "rank \(tensor.shape.count): only matrices are pruned by default" }
      for word in ["embed", "lm_head"] where tensor.name.contains(word) {
        return "name contains \"\(word)\""
      }
    } else if !include.contains(where: { tensor.name.contains($0.regex) }) {
      return "matches no --include pattern"
    }
    return nil
  }

  /// Why `tensor` cannot be pruned whatever the rule — its dtype, `--exclude`, no elements —
  /// or nil.
  func exclusionReason(for tensor: TensorInfo) -> String? {
    guard tensor.dtype.isPrunable else {
      return "dtype \(tensor.dtype.rawValue) is not pruned (only F32, F16, BF16)"
    }
    if let reason = excludedByPattern(tensor) { return reason }
    if tensor.elementCount == 0 { return "has no elements" }
    return nil
  }

  /// Why `--exclude` leaves `tensor` out (`matches --exclude "PATTERN"`), or nil. `--pair`
  /// groups leave out only what this names.
  func excludedByPattern(_ tensor: TensorInfo) -> String? {
    exclude.first { tensor.name.contains($0.regex) }.map { "matches --exclude \"\($0.pattern)\"" }
  }
}
