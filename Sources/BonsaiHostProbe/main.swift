// A host process, as an inference server is one: it sets OpenBLAS's thread count (the first
// argument), notes the process-wide state a library could disturb, prunes with every
// granularity and metric at sizes where OpenBLAS would thread its calls, and checks that the
// state is as it left it. It prints one line, a hash of every result's bits, so that runs at
// different host thread counts can be compared (they must agree), and exits 1 naming any
// state that changed. The test `HostStateTests` runs it.

import COpenBLAS
import Foundation
import Pruning
import TestSupport

/// The process-wide settings a library could leave changed.
struct HostState: Equatable {
  var openBLASThreads = openblas_get_num_threads()
  var directory = FileManager.default.currentDirectoryPath
  var roundingMode = fegetround()
  var signalHandlers = (1 ..< 32).map { signal in
    var action = sigaction()
    sigaction(Int32(signal), nil, &action)
    return UInt(bitPattern: unsafeBitCast(action.__sigaction_handler, to: Int.self))
  }
  var fileMask: mode_t = {
    let mask = umask(0o022)
    umask(mask)
    return mask
  }()
}

/// FNV-1a over the bits of every result.
struct ResultHash {
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  /// Adds the bytes of `values`.
  mutating func add<T: BitwiseCopyable>(_ values: [T]) {
    values.withUnsafeBytes { bytes in
      for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }
  }

  /// Adds the kept bits of `mask`.
  mutating func add(_ mask: PruningMask) {
    add((0 ..< mask.count).map { mask[$0] })
  }
}

/// Prunes and scores with every granularity, metric and scope; the hash of all results.
func pruneEverything() throws(PruningError) -> UInt64 {
  var generator = SeededGenerator(seed: 12)
  var hash = ResultHash()
  // Rows of 200 000 weights: long enough that OpenBLAS would thread a level-1 call on them.
  let shapes = [[2, 200_000], [64, 2048]]
  for shape in shapes {
    let values = generator.floats(shape[0] * shape[1])
    let tensor = try WeightTensor(name: "w", shape: shape, values: values)
    let configs: [PruningConfig] = try [
      PruningConfig(sparsity: 0.5),
      PruningConfig(sparsity: 0.5, metric: .l2Magnitude),
      PruningConfig(sparsity: 0.3, metric: .l1Magnitude, granularity: .rows),
      PruningConfig(sparsity: 0.3, metric: .l2Magnitude, granularity: .rows),
      PruningConfig(sparsity: 0.4, metric: .l1Magnitude, granularity: .columns),
      PruningConfig(sparsity: 0.4, metric: .l2Magnitude, granularity: .columns),
      PruningConfig(sparsity: 0.5, granularity: .blocks(BlockShape(rows: 3, columns: 4))),
      PruningConfig(sparsity: 0.5, scope: .perRow),
      PruningConfig(sparsity: 0.5, metric: .random(seed: 3)),
      PruningConfig.semiStructured(keep: 2, of: 4),
    ]
    for config in configs {
      let pruned = try Pruner(config, threadCount: 2).pruned(tensor)
      hash.add(pruned.tensor.values)
      hash.add(pruned.mask)
      hash.add(try Pruner(config).importanceScores(of: tensor).values)
    }
    var halves = values.map { Float16($0) }
    var span = halves.mutableSpan
    hash.add(try Pruner(.rowsL2(sparsity: 0.5)).prune(&span, shape: shape, name: "h"))
    hash.add(halves.map(\.bitPattern))
    let norms = try ActivationNorms.columnNorms(of: values.span, shape: shape, name: "x")
    hash.add(norms)
    let wanda = try Pruner(PruningConfig(sparsity: 0.5, metric: .wanda, scope: .perRow))
    hash.add(try wanda.pruned(tensor, input: .inputNorms(norms)).tensor.values)
    var model = [tensor, try WeightTensor(name: "v", shape: shape, values: values.reversed())]
    try Pruner(PruningConfig(sparsity: 0.6, scope: .global)).prune(&model)
    for weights in model { hash.add(weights.values) }
  }
  return hash.value
}

let threads = CommandLine.arguments.dropFirst().first.flatMap { Int32($0) } ?? 2
openblas_set_num_threads(threads)
let before = HostState()
let hash = try pruneEverything()
let after = HostState()
print("openblas-threads \(after.openBLASThreads) hash \(String(hash, radix: 16))")
if after != before {
  FileHandle.standardError.write(Data("host state changed: \(before) → \(after)\n".utf8))
  exit(1)
}
