import Foundation
import SafeTensors
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Faults in the middle of a write: the process killed, the disk full. The destination is
/// either absent or the previous complete file, never a partial one.
@Suite("faults mid-write", .serialized)
struct FaultTests {
  /// A checkpoint of `tensors` F32 matrices of 2048 × 3072 (24 MiB each).
  func bigCheckpoint(_ path: String, tensors: Int) throws {
    let shape = [2048, 3072]
    var generator = SeededGenerator(seed: 5)
    let values = generator.uniformFloats(shape[0] * shape[1])
    let writer = try SafeTensorsWriter(
      path: path,
      tensors: (0 ..< tensors).map { TensorHeader(name: "layers.\($0).weight", dtype: .f32, shape: shape) },
      metadata: nil)
    for _ in 0 ..< tensors { try values.withUnsafeBytes { try writer.append($0) } }
    try writer.finish()
  }

  /// The names in `folder` that are Bonsai's temporary files.
  func temporaryFiles(_ folder: TemporaryDirectory) throws -> [String] {
    try folder.entries().filter { $0.contains(TemporaryName.marker) }
  }

  @Test func killedAtAnyPointLeavesNoPartialOutput() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("in.safetensors")
    try bigCheckpoint(input, tensors: 10)  // 240 MiB
    let output = folder.file("out.safetensors")
    let arguments = ["prune", input, "-o", output, "--granularity", "rows", "--metric", "l2", "--quiet"]

    // A full run first: how long it takes, and the complete file a later kill must keep.
    let start = Date()
    let full = try BonsaiProcess.run(arguments)
    let duration = Date().timeIntervalSince(start)
    #expect(full.status == 0, "\(full.standardError)")
    let complete = try Data(contentsOf: URL(fileURLWithPath: output))

    var killsMidWrite = 0
    // Five kill times spread over the run, then more only while none has landed mid-write
    // (a loaded machine can stretch a run's phases).
    for (index, fraction) in [0.1, 0.3, 0.5, 0.7, 0.9, 0.2, 0.4, 0.6, 0.8, 0.05].enumerated() {
      if index >= 5 && killsMidWrite > 0 { break }
      let keepPrevious = index % 2 == 0
      if keepPrevious {
        try complete.write(to: URL(fileURLWithPath: output))
      } else if FileManager.default.fileExists(atPath: output) {
        try FileManager.default.removeItem(atPath: output)
      }
      try BonsaiProcess.runKilled(arguments, after: duration * fraction)
      if try !temporaryFiles(folder).isEmpty { killsMidWrite += 1 }
      if FileManager.default.fileExists(atPath: output) {
        // Either the previous file untouched, or (if the run finished first) a new complete
        // one, which for the same input and options has the same bytes.
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == complete, "kill at \(fraction)")
      } else {
        #expect(!keepPrevious, "the previous output vanished (kill at \(fraction))")
      }
    }

    #expect(killsMidWrite > 0, "no kill landed while the output was being written")

    // The next run removes what the killed runs left and says so.
    let leftovers = try temporaryFiles(folder)
    let next = try BonsaiProcess.run(arguments)
    #expect(next.status == 0, "\(next.standardError)")
    for leftover in leftovers {
      #expect(next.standardError.contains("removed \(folder.path)/\(leftover)"))
    }
    #expect(try temporaryFiles(folder).isEmpty)
    #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == complete)
  }

  @Test func leftoversOfDeadWritersAreRemovedAndLiveOnesKept() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("in.safetensors")
    try writeCheckpoint(input, floats: [("w", [2, 2], [1, 2, 3, 4])])
    // A process that has exited stands for a killed writer; this test process for a live one.
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let dead = ".out.safetensors\(TemporaryName.marker)\(finished.processIdentifier)-00000000000a1a2b"
    let live = ".out.safetensors\(TemporaryName.marker)\(getpid())-00000000000c3c4d"
    let other = ".other.safetensors\(TemporaryName.marker)\(finished.processIdentifier)-00000000000e5e6f"
    for name in [dead, live, other] { try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder.file(name))) }

    let result = try BonsaiProcess.run(["prune", input, "-o", folder.file("out.safetensors"), "--quiet"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardError == "bonsai: removed \(folder.file(dead)), left by an interrupted run\n")
    #expect(try folder.entries() == [live, other, "in.safetensors", "out.safetensors"].sorted())
  }

  /// Whether this process may mount a tmpfs (root in a sandbox that allows it).
  static let canMount: Bool = {
    guard getuid() == 0, let folder = try? TemporaryDirectory() else { return false }
    let mounted = mount("tmpfs", folder.path, "tmpfs", 0, "size=1m") == 0
    if mounted { umount(folder.path) }
    return mounted
  }()

  @Test(.enabled(if: canMount, "needs root and a sandbox that allows a tmpfs mount"))
  func diskFullFailsCleanly() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("in.safetensors")
    try bigCheckpoint(input, tensors: 1)  // 24 MiB
    let small = try TemporaryDirectory()
    #expect(mount("tmpfs", small.path, "tmpfs", 0, "size=4m") == 0)
    defer { umount(small.path) }
    let result = try BonsaiProcess.run(["prune", input, "-o", small.file("out.safetensors")])
    #expect(result.status == 1)
    #expect(result.standardError.contains("no space left on device"), "\(result.standardError)")
    #expect(result.standardError.contains(small.file("out.safetensors")))
    let left = try small.entries()
    #expect(left.isEmpty, "nothing left on the full disk: \(left)")
  }
}
