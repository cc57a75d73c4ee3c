// Inference servers call the library from many threads at once: concurrent calls must give
// the same bits as the same calls made one after another.

import Foundation
import Testing
import TestSupport
@testable import Pruning

@Suite struct ConcurrencyTests {
  @Test func concurrentCallsGiveTheSerialResults() async throws {
    var generator = SeededGenerator(seed: 130)
    let configs: [PruningConfig] = try [
      PruningConfig(sparsity: 0.5),
      PruningConfig(sparsity: 0.3, metric: .l2Magnitude, granularity: .rows),
      PruningConfig(sparsity: 0.7, metric: .l1Magnitude, granularity: .columns),
      PruningConfig(sparsity: 0.4, metric: .random(seed: 5)),
    ]
    let tensors = try (0 ..< 16).map { index in
      try WeightTensor(
        name: "t\(index)", shape: [64 + index, 70],
        values: generator.uniformFloats((64 + index) * 70))
    }
    let serial = try tensors.enumerated().map { index, t in
      try Pruner(configs[index % configs.count], threadCount: 2).pruned(t)
    }
    let concurrent = try await withThrowingTaskGroup(of: (Int, PrunedTensor).self) { group in
      for (index, t) in tensors.enumerated() {
        group.addTask {
          (index, try Pruner(configs[index % configs.count], threadCount: 2).pruned(t))
        }
      }
      var results = [PrunedTensor?](repeating: nil, count: tensors.count)
      for try await (index, result) in group { results[index] = result }
      return results
    }
    for index in tensors.indices {
      #expect(concurrent[index] == serial[index], "tensor \(index)")
    }
  }
}

/// One pruning call of the concurrency test, and the bits it produced.
private struct PruningJob: Sendable {
  let name: String
  let run: @Sendable () throws -> [UInt64]

  /// Every granularity, metric and scope, and each dtype, on tensors of their own.
  static func all() throws -> [PruningJob] {
    var generator = SeededGenerator(seed: 131)
    let (rows, columns) = (96, 256)
    func tensor(_ index: Int) throws -> WeightTensor {
      try WeightTensor(
        name: "t\(index)", shape: [rows, columns],
        values: generator.uniformFloats(rows * columns))
    }
    let configs: [(String, PruningConfig, ScoreInput?)] = try [
      ("l1", PruningConfig(sparsity: 0.5), nil),
      ("l2", PruningConfig(sparsity: 0.5, metric: .l2Magnitude), nil),
      ("rows l1", PruningConfig(sparsity: 0.3, granularity: .rows), nil),
      ("rows l2", PruningConfig(sparsity: 0.3, metric: .l2Magnitude, granularity: .rows), nil),
      ("columns l1", PruningConfig(sparsity: 0.6, granularity: .columns), nil),
      ("columns l2", PruningConfig(sparsity: 0.6, metric: .l2Magnitude, granularity: .columns), nil),
      ("2:4", .semiStructured(keep: 2, of: 4), nil),
      ("blocks", PruningConfig(sparsity: 0.5, granularity: .blocks(BlockShape(rows: 4, columns: 8))), nil),
      ("blocks max", PruningConfig(
        sparsity: 0.5, granularity: .blocks(BlockShape(rows: 2, columns: 2, pooling: .max))), nil),
      ("per-row", PruningConfig(sparsity: 0.5, scope: .perRow), nil),
      ("random", PruningConfig(sparsity: 0.4, metric: .random(seed: 9)), nil),
      ("wanda", PruningConfig(sparsity: 0.5, metric: .wanda, scope: .perRow),
       .inputNorms(generator.uniformFloats(columns, in: 0 ... 3))),
      ("taylor", PruningConfig(sparsity: 0.5, metric: .taylor),
       .gradients(generator.uniformFloats(rows * columns))),
      ("supplied", PruningConfig(sparsity: 0.5, metric: .supplied),
       .scores(generator.uniformFloats(rows * columns))),
      ("iterative", PruningConfig(sparsity: 0.5, granularity: .rows, iterative: .remaining), nil),
    ]
    var jobs = try configs.enumerated().map { index, entry in
      let (name, config, input) = entry
      let weights = try tensor(index)
      return PruningJob(name: name) {
        let pruned = try Pruner(config, threadCount: 2).pruned(weights, input: input)
        return pruned.tensor.values.map { UInt64($0.bitPattern) } + maskBits(pruned.mask)
      }
    }
    let halves = generator.uniformFloats(rows * columns).map { Float16($0) }
    jobs.append(PruningJob(name: "float16 columns") {
      var copy = halves
      var span = copy.mutableSpan
      let mask = try Pruner(PruningConfig(sparsity: 0.5, granularity: .columns))
        .prune(&span, shape: [rows, columns], name: "h")
      return copy.map { UInt64($0.bitPattern) } + maskBits(mask)
    })
    let brains = generator.uniformFloats(rows * columns).map { BFloat16($0) }
    jobs.append(PruningJob(name: "bfloat16 2:4") {
      var copy = brains
      var span = copy.mutableSpan
      let mask = try Pruner(.semiStructured(keep: 2, of: 4)).prune(&span, shape: [rows, columns], name: "b")
      return copy.map { UInt64($0.bitPattern) } + maskBits(mask)
    })
    let model = try [tensor(90), tensor(91), tensor(92)]
    jobs.append(PruningJob(name: "global") {
      var copy = model
      let masks = try Pruner(PruningConfig(sparsity: 0.7, scope: .global)).prune(&copy)
      return copy.flatMap { $0.values.map { UInt64($0.bitPattern) } } + masks.flatMap(maskBits)
    })
    return jobs
  }

  private static func maskBits(_ mask: PruningMask) -> [UInt64] {
    (0 ..< mask.count).map { mask[$0] ? 1 : 0 }
  }
}

@Suite struct ConcurrentGranularityTests {
  @Test func sixteenThreadsAtOnceGiveTheSerialBits() throws {
    let jobs = try PruningJob.all()
    #expect(jobs.count >= 16)
    let serial = try jobs.map { try $0.run() }
    let copies = 2
    let results = ResultSlots(count: jobs.count * copies)
    let start = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for slot in 0 ..< jobs.count * copies {
      done.enter()
      let thread = Thread {
        start.wait()
        results.store((try? jobs[slot % jobs.count].run()) ?? [], at: slot)
        done.leave()
      }
      thread.start()
    }
    for _ in 0 ..< jobs.count * copies { start.signal() }
    done.wait()
    for slot in 0 ..< jobs.count * copies {
      #expect(results.value(at: slot) == serial[slot % jobs.count], "\(jobs[slot % jobs.count].name)")
    }
  }

  @Test func sixteenTasksAtOnceGiveTheSerialBits() async throws {
    let jobs = try PruningJob.all()
    let serial = try jobs.map { try $0.run() }
    let concurrent = try await withThrowingTaskGroup(of: (Int, [UInt64]).self) { group in
      for (index, job) in jobs.enumerated() {
        group.addTask { (index, try job.run()) }
      }
      var results = [[UInt64]](repeating: [], count: jobs.count)
      for try await (index, bits) in group { results[index] = bits }
      return results
    }
    for index in jobs.indices {
      #expect(concurrent[index] == serial[index], "\(jobs[index].name)")
    }
  }
}

/// Results written by many threads, one slot each.
private final class ResultSlots: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [[UInt64]]

  init(count: Int) { slots = Array(repeating: [], count: count) }

  func store(_ value: [UInt64], at slot: Int) {
    lock.withLock { slots[slot] = value }
  }

  func value(at slot: Int) -> [UInt64] {
    lock.withLock { slots[slot] }
  }
}
