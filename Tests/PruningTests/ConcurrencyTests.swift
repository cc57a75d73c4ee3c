// Inference servers call the library from many threads at once: concurrent calls must give
// the same bits as the same calls made one after another.

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
