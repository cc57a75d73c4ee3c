import ArgumentParser

/// A failure of the command line, printed as one line on stderr.
///
/// Usage errors (bad options, options that do not fit the input) exit with status 64;
/// everything else (unreadable or malformed input, an output that cannot be written,
/// weights that cannot be pruned) with status 1.
enum CommandLineError: Error, CustomStringConvertible {
  /// The options are wrong for this input.
  case usage(String)
  /// Reading, pruning or writing failed.
  case failure(String)

  /// The message, naming the file, tensor or option and what is wrong.
  var description: String {
    switch self {
    case .usage(let message), .failure(let message): message
    }
  }

  /// The exit status: 64 for usage errors, 1 otherwise.
  var exitCode: ExitCode {
    switch self {
    case .usage: .validationFailure
    case .failure: .failure
    }
  }
}

extension ParsableCommand {
  /// Runs `body`, turning a `CommandLineError` into its message on stderr and its exit
  /// status.
  func reportingErrors(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as CommandLineError {
      Terminal.standardError.writeLine("bonsai: error: \(error)")
      throw error.exitCode
    }
  }
}
