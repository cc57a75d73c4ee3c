// Tests that run a built executable (the `bonsai` command line, the host-state probe) run
// it here and read what it printed.

import Foundation

/// An executable run to completion, its output captured.
public enum ChildProcess {
  /// What one run printed and how it ended.
  public struct Result: Sendable {
    /// The exit status.
    public let status: Int32
    /// Everything written to stdout, as UTF-8.
    public let standardOutput: String
    /// Everything written to stderr, as UTF-8.
    public let standardError: String
  }

  /// Runs `executable` with `arguments` and waits for it.
  /// - Parameters:
  ///   - directory: The working directory (default: the caller's).
  ///   - environment: The environment (default: the caller's).
  public static func run(
    _ executable: String, _ arguments: [String], in directory: String? = nil,
    environment: [String: String]? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
      standardError: String(decoding: errData, as: UTF8.self))
  }

  /// The path of an executable built next to the running test bundle.
  public static func builtExecutable(_ name: String) -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent(name).path
  }
}
