import Foundation
import ModelFolders
import Pruning
import SafeTensors
import Testing
import TestSupport

@testable import bonsai

/// The counts a prune reports — nonzero weights before and after, whether an N:M pattern
/// holds — are taken on the way (the counting copy) or from the bits it records, not by
/// passes of their own: here they are checked against counts of the input and output files
/// made element by element. The checkpoints hold +0 and −0 weights, and the metric is
/// random, so that zero weights are kept as well as pruned (a count derived from the mask
/// alone would be wrong); F32, F16 and BF16 tensors of lengths that are no multiple of 64,
/// copied tensors (one of a dtype Bonsai does not prune), a global ranking, and compaction
/// (the tensor made whole before it is written).
@Suite struct ReportCountTests {
  /// The tensors: (name, dtype, shape, bytes), a third of each tensor's weights ±0.
  func tensors(seed: UInt64) -> [(String, DType, [Int], [UInt8])] {
    var random = SeededGenerator(seed: seed)
    func weights(_ count: Int) -> [Float] {
      (0 ..< count).map { _ in
        switch random.next() % 6 {
        case 0: 0
        case 1: -0.0
        default: Float.random(in: -2 ... 2, using: &random)
        }
      }
    }
    func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
    let largeRows = TensorAppender.chunkByteCount / (4 * 240) + 3
    return [
      ("a.f32", .f32, [9, 24], bytes(weights(216))),
      ("b.f16", .f16, [7, 12], bytes(weights(84).map { Float16($0) })),
      ("c.bf16", .bf16, [5, 24], bytes(weights(120).map { UInt16($0.bitPattern >> 16) })),
      // More than one chunk of the appender, no whole number of mask words.
      ("d.large", .f32, [largeRows, 240], bytes(weights(largeRows * 240))),
      ("kept.f32", .f32, [3, 8], bytes(weights(24))),
      ("kept.i32", .i32, [2, 4], bytes([0, -5, 0, 3, Int32.min, 0, 1, 0] as [Int32])),
    ]
  }

  /// The nonzero elements of a tensor's bytes, one at a time: ±0 are zero for floats; for
  /// integers every bit counts.
  func nonzero(_ bytes: [UInt8], dtype: DType) -> Int {
    let width = dtype.bitWidth / 8
    let ignored: UInt64 = dtype.isFloatingPoint ? 1 << UInt64(dtype.bitWidth - 1) : 0
    return stride(from: 0, to: bytes.count, by: width).filter { start in
      let value = (0 ..< width).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * UInt64($1)) }
      return value & ~ignored != 0
    }.count
  }

  /// Whether every group of `group` along the rows holds at most `keep` nonzero weights.
  func holds(_ bytes: [UInt8], dtype: DType, keep: Int, of group: Int) -> Bool {
    let width = dtype.bitWidth / 8
    return stride(from: 0, to: bytes.count, by: width * group).allSatisfy { start in
      nonzero(Array(bytes[start ..< start + width * group]), dtype: dtype) <= keep
    }
  }

  /// The bytes of every tensor of the file at `path`, by name.
  func contents(_ path: String) throws -> [String: [UInt8]] {
    let file = try SafeTensorsFile(path: path)
    return Dictionary(uniqueKeysWithValues: file.tensors.map { info in
      (info.name, file.withBytes(of: info) { Array($0) })
    })
  }

  /// The configurations tried, by name.
  func config(_ name: String) throws -> PruningConfig {
    switch name {
    case "random unstructured": try PruningConfig(sparsity: 0.5, metric: .random(seed: 3))
    case "random 2:4": try .semiStructured(keep: 2, of: 4, metric: .random(seed: 4))
    case "random 1:3": try .semiStructured(keep: 1, of: 3, metric: .random(seed: 5))
    case "random global": try PruningConfig(sparsity: 0.6, metric: .random(seed: 6), scope: .global)
    case "l2 rows", "l2 rows compacted":
      try PruningConfig(sparsity: 0.4, metric: .l2Magnitude, granularity: .rows)
    default: try PruningConfig(sparsity: 0.3)
    }
  }

  @Test(arguments: [
    "random unstructured", "random 2:4", "random 1:3", "random global", "l2 rows", "l2 rows compacted",
    "l1 unstructured",
  ])
  func reportedCountsMatchTheFiles(name: String) throws {
    let config = try config(name)
    let folder = try TemporaryDirectory()
    let input = folder.file("in.safetensors")
    let output = folder.file("out.safetensors")
    let written = tensors(seed: 11)
    try writeCheckpoint(input, floats: [], raw: written)
    var job = CheckpointPruning(
      input: input, pruner: Pruner(config, threadCount: 2),
      selection: try TensorSelection(include: [], exclude: ["^kept"]), progressStyle: .quiet)
    job.compact = name.hasSuffix("compacted")
    let checkpoint = ShardedCheckpoint(file: try SafeTensorsFile(path: input))
    let plan = try job.plan(checkpoint)
    let outputs = OutputSet(syncsToDisk: false)
    let outcomes = try job.run(checkpoint, plan: plan, into: try outputs.stage(output))
    try outputs.commit()

    let before = try contents(input)
    let after = try contents(output)
    var keptZeros = 0
    for outcome in outcomes {
      let tensor = outcome.info
      let (original, pruned) = (before[tensor.name] ?? [], after[tensor.name] ?? [])
      #expect(outcome.nonzeroBefore == nonzero(original, dtype: tensor.dtype), "\(name): \(tensor.name)")
      #expect(outcome.nonzeroAfter == nonzero(pruned, dtype: tensor.dtype), "\(name): \(tensor.name)")
      if case .semiStructured(let keep, let group) = config.granularity, outcome.skipReason == nil {
        #expect(outcome.pattern?.satisfied == holds(pruned, dtype: tensor.dtype, keep: keep, of: group))
        #expect(outcome.pattern?.satisfied == true, "\(name): \(tensor.name)")
      } else {
        #expect(outcome.pattern == nil)
      }
      if outcome.skipReason != nil {
        #expect(original == pruned, "\(name): \(tensor.name) copied")
      } else {
        keptZeros += negativeZeros(pruned, dtype: tensor.dtype)
      }
    }
    #expect(outcomes.filter { $0.skipReason != nil }.count == 2)
    if case .random = config.metric {
      // Kept zeros make the count after differ from the mask's kept count.
      #expect(keptZeros > 0, "\(name): no zero weight was kept, the test proves nothing")
    }
  }

  /// The −0 elements of a tensor's bytes: a pruned weight is written +0, so each of these is
  /// a zero weight that was kept.
  func negativeZeros(_ bytes: [UInt8], dtype: DType) -> Int {
    let width = dtype.bitWidth / 8
    return stride(from: 0, to: bytes.count, by: width).filter { start in
      bytes[start + width - 1] == 0x80 && bytes[start ..< start + width - 1].allSatisfy { $0 == 0 }
    }.count
  }
}
