import Foundation
import SafeTensors
import Testing
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// The files bonsai writes never replace one it reads, a special file or a link; outputs
/// land together or not at all; temporary files go away however a run ends.
@Suite("data safety: what bonsai writes, replaces and leaves behind")
struct DataSafetyTests {
  func model(_ folder: TemporaryDirectory) throws -> String {
    let path = folder.file("in.safetensors")
    try writeCheckpoint(path, floats: [("layer.weight", [2, 3], [1, 2, 3, 4, 5, 6])])
    return path
  }

  /// Runs bonsai, expecting a usage error mentioning `message` and no change in `folder`.
  func expectRefusal(
    _ arguments: [String], message: String, in folder: TemporaryDirectory,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let before = try folder.entries().map { ($0, try? Data(contentsOf: URL(fileURLWithPath: folder.file($0)))) }
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == 64, "\(result.standardError)", sourceLocation: sourceLocation)
    #expect(result.standardError.contains(message), "\(result.standardError)", sourceLocation: sourceLocation)
    let after = try folder.entries().map { ($0, try? Data(contentsOf: URL(fileURLWithPath: folder.file($0)))) }
    #expect(after.elementsEqual(before) { $0.0 == $1.0 && $0.1 == $1.1 }, "folder unchanged", sourceLocation: sourceLocation)
  }

  @Test func noWrittenPathIsAFileThatIsRead() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let out = folder.file("out.safetensors")
    try writeCheckpoint(folder.file("g.safetensors"), floats: [("layer.weight", [2, 3], [1, 1, 1, 1, 1, 1])])
    #expect(link(input, folder.file("hard.safetensors")) == 0)
    try expectRefusal(
      ["prune", input, "-o", out, "--report", input], message: "--report \(input) is the input file",
      in: folder)
    try expectRefusal(
      ["prune", input, "-o", out, "--report", folder.file("hard.safetensors")],
      message: "is the input file", in: folder)
    try expectRefusal(
      ["prune", input, "-o", out, "--report", folder.path + "/./out.safetensors"],
      message: "-o and --report name the same file", in: folder)
    try expectRefusal(
      ["prune", input, "-o", folder.file("g.safetensors"), "--metric", "taylor", "--gradients",
       folder.file("g.safetensors")],
      message: "is the --gradients file", in: folder)
    try expectRefusal(
      ["prune", input, "-o", out, "--metric", "wanda", "--activations", folder.file("g.safetensors"),
       "--report", folder.file("g.safetensors")],
      message: "is the --activations file", in: folder)
  }

  @Test func specialFilesAndLinksAreNeverReplaced() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    try Data("precious".utf8).write(to: URL(fileURLWithPath: folder.file("target")))
    try FileManager.default.createSymbolicLink(
      atPath: folder.file("link.safetensors"), withDestinationPath: folder.file("target"))
    #expect(mkfifo(folder.file("fifo"), 0o600) == 0)
    try FileManager.default.createDirectory(atPath: folder.file("dir"), withIntermediateDirectories: false)
    let cases: [([String], String)] = [
      (["-o", "/dev/null"], "-o /dev/null: is a character device"),
      (["-o", "/dev/full"], "is a character device"),
      (["-o", folder.file("fifo")], "is a FIFO"),
      (["-o", folder.file("link.safetensors")], "is a symbolic link"),
      (["-o", folder.file("o.safetensors"), "--report", "/dev/stdout"], "--report /dev/stdout: is a symbolic link"),
      (["-o", folder.file("o.safetensors"), "--report", folder.file("dir")], "is a directory"),
      (["-o", folder.file("dir") + "/"], "names no file"),
      (["-o", folder.file("nodir") + "/"], "names no file"),
      (["-o", ""], "-o \"\" names no file"),
    ]
    for (options, message) in cases {
      try expectRefusal(["prune", input] + options, message: message, in: folder)
    }
    var status = stat()
    #expect(lstat("/dev/null", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    #expect(lstat(folder.file("fifo"), &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
    #expect(lstat(folder.file("link.safetensors"), &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
  }

  @Test func leftoverCleanupNeverTouchesWhatItDidNotMake() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let dead = try deadProcessID()
    let marker = TemporaryName.marker
    let nested = ".d.safetensors\(marker)99993-nested"
    try FileManager.default.createDirectory(atPath: folder.file(nested + "/a"), withIntermediateDirectories: true)
    try Data("x".utf8).write(to: URL(fileURLWithPath: folder.file(nested + "/a/precious")))
    let exactFolder = ".d.safetensors\(marker)\(dead)-0000000000000001"
    try FileManager.default.createDirectory(atPath: folder.file(exactFolder), withIntermediateDirectories: false)
    let noRandom = ".d.safetensors\(marker)\(dead)"
    let leftover = ".d.safetensors\(marker)\(dead)-0123456789abcdef"
    for name in [noRandom, leftover] { try Data([1]).write(to: URL(fileURLWithPath: folder.file(name))) }

    let result = try BonsaiProcess.run(["prune", input, "-o", folder.file("d.safetensors"), "--quiet"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardError == "bonsai: removed \(folder.file(leftover)), left by an interrupted run\n")
    #expect(try folder.entries() == [exactFolder, nested, noRandom, "d.safetensors", "in.safetensors"].sorted())
    #expect(FileManager.default.fileExists(atPath: folder.file(nested + "/a/precious")))
  }

  @Test func aReportThatCannotBeWrittenLeavesTheOutputUntouched() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let keep = folder.file("keep.safetensors")
    try Data("precious\n".utf8).write(to: URL(fileURLWithPath: keep))
    let result = try BonsaiProcess.run(["prune", input, "-o", keep, "--report", folder.file("nodir/r.json")])
    #expect(result.status == 1)
    #expect(result.standardError.contains("nodir/r.json: cannot create a temporary file in its directory: No such file"), "\(result.standardError)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: keep)) == Data("precious\n".utf8))
    #expect(try folder.entries() == ["in.safetensors", "keep.safetensors"])
  }

  @Test func outputAndReportLandTogether() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let report = folder.file("r.json")
    let result = try BonsaiProcess.run(["prune", input, "-o", folder.file("o.safetensors"), "--report", report])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(try folder.entries() == ["in.safetensors", "o.safetensors", "r.json"])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
    #expect(json?["total_params"] as? Int == 6)
  }

  @Test func aLongOutputNameIsWritten() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let name = String(repeating: "o", count: 240) + ".safetensors"
    let result = try BonsaiProcess.run(["prune", input, "-o", folder.file(name), "--quiet"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(try folder.entries() == ["in.safetensors", name])
  }

  @Test func aReplacedOutputKeepsItsMode() throws {
    let folder = try TemporaryDirectory()
    let input = try model(folder)
    let output = folder.file("out.safetensors")
    for mode: mode_t in [0o640, 0o600] {
      try Data("old".utf8).write(to: URL(fileURLWithPath: output))
      #expect(chmod(output, mode) == 0)
      let result = try BonsaiProcess.run(["prune", input, "-o", output, "--quiet"])
      #expect(result.status == 0, "\(result.standardError)")
      var status = stat()
      #expect(stat(output, &status) == 0 && status.st_mode & 0o777 == mode)
    }
  }
}

/// A run of bonsai held in the middle of its output: its progress lines are longer than a
/// pipe holds, so after the test has read the first line whole, bonsai cannot finish
/// writing the second — and cannot start the third tensor — until the test reads on.
/// Whatever the test does then (truncate the input, send a signal) lands at that point.
/// The third tensor's mask may already be being decided on the mapped input (it is read one
/// tensor ahead), so the fourth is the first tensor bonsai cannot have touched.
struct HeldRun {
  /// Tensors of the checkpoint, each pruned; their names make each progress line 70 kB.
  static let tensors = 4
  static func name(_ index: Int) -> String {
    "t\(index)." + String(repeating: "x", count: 70_000)
  }

  let folder: TemporaryDirectory
  let input: String
  let output: String
  let process = Process()
  let errors = Pipe()

  /// Writes the checkpoint (64 × 64 F32 tensors) — as a file, or as the one shard of a
  /// model folder — and starts `bonsai prune` on it. With `signalsUnblocked`, bonsai starts
  /// with no signal blocked, as from a shell (this test runner's threads block some, and a
  /// child inherits that), through Python's `execv`.
  init(modelFolder: Bool = false, signalsUnblocked: Bool = false) throws {
    folder = try TemporaryDirectory()
    input = modelFolder ? folder.file("model") : folder.file("in.safetensors")
    output = modelFolder ? folder.file("pruned") : folder.file("out.safetensors")
    let checkpoint = modelFolder ? input + "/model.safetensors" : input
    if modelFolder { try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: false) }
    var generator = SeededGenerator(seed: 3)
    try writeCheckpoint(
      checkpoint, floats: (0 ..< Self.tensors).map { (Self.name($0), [64, 64], generator.floats(4096)) })
    let arguments = ["prune", input, "-o", output]
    if signalsUnblocked {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments =
        [
          "python3", "-c",
          "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
          BonsaiProcess.binary,
        ] + arguments
    } else {
      process.executableURL = URL(fileURLWithPath: BonsaiProcess.binary)
      process.arguments = arguments
    }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errors
    try process.run()
  }

  /// Reads the first progress line whole: bonsai has written the first tensor and not yet
  /// started the third.
  func readFirstLine() -> String {
    let expected = "[1/\(Self.tensors)] pruned \(Self.name(0))\n".utf8.count
    var bytes = [UInt8](repeating: 0, count: expected)
    var offset = 0
    let fd = errors.fileHandleForReading.fileDescriptor
    while offset < expected {
      let count = bytes[offset...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      guard count > 0 else { break }
      offset += count
    }
    return String(decoding: bytes[..<offset], as: UTF8.self)
  }

  /// The temporary files (or, for a model folder, the temporary folder) in the folder.
  func temporaryFiles() throws -> [String] {
    try folder.entries().filter { $0.contains(TemporaryName.marker) }
  }

  /// Reads the rest of stderr and waits for the end: (status, killed by a signal, stderr).
  func finish() -> (status: Int32, signaled: Bool, standardError: String) {
    let rest = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, process.terminationReason == .uncaughtSignal,
      String(decoding: rest, as: UTF8.self)
    )
  }
}

@Suite("data safety: a run stopped in the middle")
struct InterruptedRunTests {
  @Test func aTruncatedInputIsAnErrorAndLeavesNothing() throws {
    let run = try HeldRun()
    #expect(run.readFirstLine().hasPrefix("[1/4] pruned t0."))
    #expect(try run.temporaryFiles().count == 1)
    let size = try #require(try FileManager.default.attributesOfItem(atPath: run.input)[.size] as? Int)
    // The fourth tensor's data is gone; the third, perhaps being read ahead, is whole.
    #expect(truncate(run.input, off_t(size - 4096 * 4)) == 0)
    let (status, signaled, standardError) = run.finish()
    #expect(status == 1 && !signaled, "\(standardError.suffix(300))")
    #expect(standardError.contains("in.safetensors: the file shrank from \(size) to \(size - 16384) bytes while being read"))
    #expect(try run.folder.entries() == ["in.safetensors"])
  }

  @Test func aBusErrorRemovesTheTemporaryFileAndSaysWhy() throws {
    let run = try HeldRun()
    _ = run.readFirstLine()
    #expect(try run.temporaryFiles().count == 1)
    kill(run.process.processIdentifier, SIGBUS)
    let (status, signaled, standardError) = run.finish()
    #expect(status == 1 && !signaled)
    #expect(standardError.hasSuffix("bonsai: error: an input file shrank while it was being read (truncated or rewritten in place by another program); nothing was written\n"))
    #expect(try run.folder.entries() == ["in.safetensors"])
  }

  @Test(arguments: [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ])
  func aSignalRemovesTheTemporaryFile(signal: Int32) throws {
    let run = try HeldRun()
    _ = run.readFirstLine()
    #expect(try run.temporaryFiles().count == 1)
    kill(run.process.processIdentifier, signal)
    let (status, signaled, standardError) = run.finish()
    #expect(signaled && status == signal, "\(status) \(standardError.suffix(200))")
    #expect(try run.folder.entries() == ["in.safetensors"])
  }

  /// The threads of process `pid` other than its main one that do not hold SIGINT.
  func threadsTakingInterrupts(of pid: pid_t) throws -> [pid_t] {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap { name in
      guard let thread = pid_t(name), thread != pid,
        // Read to the end: procfs files report a size of 0.
        let file = FileHandle(forReadingAtPath: "/proc/\(pid)/task/\(name)/status"),
        let status = String(data: file.readDataToEndOfFile(), encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
        let blocked = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16)
      else { return nil }
      return blocked & (1 << (SIGINT - 1)) == 0 ? thread : nil
    }
  }

  /// A signal that lands on a thread other than the main one (OpenBLAS's, started before
  /// the handlers were installed, hold no signal) is passed on to the main thread, where
  /// holds take effect, and ends the run as one sent to the process does. Sent with
  /// `tgkill` (system call 234 on x86-64) through Python; were it lost, the run would go on
  /// and end well.
  @Test func aSignalOnAnotherThreadIsPassedOnAndEndsTheRun() throws {
    let run = try HeldRun(modelFolder: true, signalsUnblocked: true)
    _ = run.readFirstLine()
    let pid = run.process.processIdentifier
    #if arch(x86_64)
      let threads = try threadsTakingInterrupts(of: pid)
    #else
      let threads: [pid_t] = []
    #endif
    guard !threads.isEmpty else {
      print("SKIPPED: aSignalOnAnotherThreadIsPassedOnAndEndsTheRun: no thread of bonsai but the main one takes SIGINT here (OpenBLAS started none), or not x86-64")
      kill(pid, SIGINT)
      _ = run.finish()
      return
    }
    // To the first of them still there (a thread may end meanwhile).
    let sent = try ChildProcess.run(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import ctypes, sys; syscall = ctypes.CDLL(None).syscall; sys.exit(0 if any(syscall(234, \(pid), int(t), \(SIGINT)) == 0 for t in sys.argv[1:]) else 1)",
      ] + threads.map(String.init))
    #expect(sent.status == 0, "\(sent.standardError)")
    let (status, signaled, standardError) = run.finish()
    #expect(signaled && status == SIGINT, "\(status) \(standardError.suffix(200))")
    #expect(try run.folder.entries() == ["model"])
  }

  /// A model folder is built in a temporary folder (holding the shard's temporary file):
  /// a signal removes both, and a bus error too.
  @Test(arguments: [SIGINT, SIGTERM, SIGBUS])
  func aSignalRemovesTheTemporaryFolder(signal: Int32) throws {
    let run = try HeldRun(modelFolder: true)
    _ = run.readFirstLine()
    let staged = try #require(try run.temporaryFiles().first)
    #expect(try FileManager.default.contentsOfDirectory(atPath: run.folder.file(staged)).count == 2)
    kill(run.process.processIdentifier, signal)
    let (status, signaled, standardError) = run.finish()
    #expect(signal == SIGBUS ? status == 1 && !signaled : signaled && status == signal, "\(status) \(standardError.suffix(200))")
    #expect(try run.folder.entries() == ["model"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: run.input) == ["model.safetensors"])
  }
}
