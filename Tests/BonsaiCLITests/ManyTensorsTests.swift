// A mixture-of-experts checkpoint holds tens of thousands of tensors (18 k in Qwen3-30B-A3B,
// 90 k in DeepSeek-V3). A global ranking over them once took one stack frame per tensor and
// died with signal 11 at about 12,000; these tests run 100,000 through the built binary.

import Foundation
import SafeTensors
import Testing
import TestSupport

@Suite("bonsai prune on checkpoints of very many tensors")
struct ManyTensorsTests {
  /// 100,000 small matrices pruned under one global ranking: exactly floor(0.5 × total)
  /// weights go, and none kept is smaller than one pruned.
  @Test func globalScopeOverOneHundredThousandTensors() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("experts.safetensors")
    let output = folder.file("pruned.safetensors")
    let (count, shape, size) = (100_000, [2, 4], 8)
    var generator = SeededGenerator(seed: 17_003)
    let values = generator.floats(count * size)
    try writeCheckpoint(
      input,
      floats: (0 ..< count).map { index in
        ("experts.\(index).weight", shape, Array(values[index * size ..< (index + 1) * size]))
      })

    let result = try BonsaiProcess.run([
      "prune", input, "-o", output, "--scope", "global", "--sparsity", "0.5", "--quiet",
      "--no-sync",
    ])
    #expect(result.status == 0, "\(result.standardError)")

    let file = try SafeTensorsFile(path: output)
    #expect(file.tensors.count == count)
    var (pruned, changed) = (0, 0)
    var largestPruned: Float = 0
    var smallestKept = Float.infinity
    for (index, info) in file.tensors.enumerated() {
      #expect(info.name == "experts.\(index).weight")
      file.withBytes(of: info) { bytes in
        for element in 0 ..< size {
          let after = bytes.loadUnaligned(fromByteOffset: element * 4, as: Float.self)
          let before = values[index * size + element]
          if after.bitPattern == 0 {
            pruned += 1
            largestPruned = max(largestPruned, abs(before))
          } else {
            changed += after.bitPattern == before.bitPattern ? 0 : 1
            smallestKept = min(smallestKept, abs(before))
          }
        }
      }
    }
    #expect(pruned == count * size / 2 && changed == 0)
    #expect(largestPruned <= smallestKept)
  }
}
