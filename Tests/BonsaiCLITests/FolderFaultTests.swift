import Foundation
import SafeTensors
import Testing
import TestSupport

/// A folder run killed at any point: the output folder is absent or the previous complete
/// one, never a partial one, and the next run removes what the killed one left.
@Suite("faults mid-write: model folders", .serialized)
struct FolderFaultTests {
  /// A folder of 4 shards of 2 F32 matrices of 2048 × 3072 (24 MiB each), an index and a
  /// config.
  func bigFolder(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    let shape = [2048, 3072]
    var generator = SeededGenerator(seed: 8)
    let values = generator.uniformFloats(shape[0] * shape[1])
    var weightMap = [String: String]()
    for shard in 1 ... 4 {
      let name = String(format: "model-%05d-of-00004.safetensors", shard)
      let tensors = (0 ..< 2).map { "model.layers.\(2 * (shard - 1) + $0).mlp.up_proj.weight" }
      let writer = try SafeTensorsWriter(
        path: "\(path)/\(name)", tensors: tensors.map { TensorHeader(name: $0, dtype: .f32, shape: shape) },
        metadata: ["format": "pt"], syncsToDisk: false)
      for _ in tensors { try values.withUnsafeBytes { try writer.append($0) } }
      try writer.finish()
      for tensor in tensors { weightMap[tensor] = name }
    }
    let index = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 0], "weight_map": weightMap])
    try index.write(to: URL(fileURLWithPath: path + "/model.safetensors.index.json"))
    try Data("{\"intermediate_size\": 2048}".utf8).write(to: URL(fileURLWithPath: path + "/config.json"))
  }

  /// Every file of a folder by name, with its bytes.
  func contents(_ path: String) throws -> [String: Data] {
    var files = [String: Data]()
    for name in try FileManager.default.contentsOfDirectory(atPath: path) {
      files[name] = try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(name)"))
    }
    return files
  }

  @Test func killedAtAnyPointLeavesNoPartialFolder() throws {
    let directory = try TemporaryDirectory()
    let input = directory.file("model")
    try bigFolder(input)
    let output = directory.file("pruned")
    let arguments = [
      "prune", input, "-o", output, "--granularity", "rows", "--metric", "l2", "--quiet", "--replace",
    ]
    let start = Date()
    let full = try BonsaiProcess.run(arguments)
    let duration = Date().timeIntervalSince(start)
    #expect(full.status == 0, "\(full.standardError)")
    let complete = try contents(output)
    #expect(complete.count == 6)

    var killsMidWrite = 0
    // Three kill times spread over the run, then more only while none has landed mid-write
    // (a loaded machine can stretch a run's phases).
    for (index, fraction) in [0.2, 0.5, 0.8, 0.35, 0.65, 0.95, 0.1].enumerated() {
      if index >= 3 && killsMidWrite > 0 { break }
      let keepPrevious = index % 2 == 0
      try? FileManager.default.removeItem(atPath: output)
      if keepPrevious {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        for (name, data) in complete { try data.write(to: URL(fileURLWithPath: "\(output)/\(name)")) }
      }
      try BonsaiProcess.runKilled(arguments, after: duration * fraction)
      if try directory.entries().contains(where: { $0.contains(TemporaryName.marker) }) {
        killsMidWrite += 1
      }
      if FileManager.default.fileExists(atPath: output) {
        #expect(try contents(output) == complete, "kill at \(fraction)")
      } else {
        #expect(!keepPrevious, "the previous output vanished (kill at \(fraction))")
      }
    }
    #expect(killsMidWrite > 0, "no kill landed while the folder was being written")

    let leftovers = try directory.entries().filter { $0.contains(TemporaryName.marker) }
    let next = try BonsaiProcess.run(arguments)
    #expect(next.status == 0, "\(next.standardError)")
    for leftover in leftovers {
      #expect(next.standardError.contains("removed \(directory.path)/\(leftover)"))
    }
    #expect(try directory.entries() == ["model", "pruned"])
    #expect(try contents(output) == complete)
  }
}
