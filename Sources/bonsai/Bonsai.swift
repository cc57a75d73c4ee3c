import ArgumentParser
import CBonsaiABI

/// The `bonsai` command: prunes the weights of safetensors checkpoints.
@main
struct Bonsai: ParsableCommand {
  /// The tool's version, recorded in the metadata of every file it writes: the C header's
  /// `BONSAI_VERSION`, the one place it is written, so that `bonsai` and `libbonsai` agree.
  static let version = BONSAI_VERSION

  static let configuration = CommandConfiguration(
    abstract: "Prune neural-network weights: score them, zero the least important, report.",
    discussion: """
      Exactly k = floor(sparsity × units) units are pruned per tensor (units are weights, \
      rows or columns), capped so that --min-nonzero weights survive; among equal scores \
      the lower index is pruned first.
      """,
    version: version,
    subcommands: [Prune.self, Report.self, Demo.self, Shards.self]
  )

  /// Runs the command line. Unlike ArgumentParser's default, a usage error is one line on
  /// stderr (`bonsai: error: …`, exit status 64); `--help` and `--version` print as usual.
  static func main() {
    SignalCleanup.install()
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let code as ExitCode {
      // The command has printed its own one-line message already.
      exit(withError: code)
    } catch {
      guard exitCode(for: error) != .success else { exit(withError: error) }
      let firstLine = message(for: error).split(separator: "\n").first.map(String.init) ?? ""
      Terminal.standardError.writeLine("bonsai: error: \(firstLine)")
      exit(withError: ExitCode(exitCode(for: error).rawValue))
    }
  }
}
