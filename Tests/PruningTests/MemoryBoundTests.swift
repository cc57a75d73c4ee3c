// Pruning needs, besides the weights, n/8 bytes for the mask and while selecting at most
// n/8 candidate keys (4 bytes each): 5n/8 bytes. Each case runs in a child process of its
// own and compares the resident high-water mark (VmHWM) before and after pruning a 32 MiB
// tensor, whose bound is 5 MiB (plus 3 MiB of slack for the allocator and threads).

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Pruning

@Suite struct MemoryBoundTests {
  /// Small blocks stay within the bound: their scores are recomputed in each pass, not held
  /// (a Float per 1×2 block was 16 MiB here), and 1×1 blocks take the element path.
  @Test func smallBlocksStayWithinTheBound() async {
    await #expect(processExitsWith: .success) {
      for (rows, columns, iterative) in [(1, 2, false), (1, 1, true), (2, 2, true)] {
        let block = try BlockShape(rows: rows, columns: columns)
        let config = try PruningConfig(
          sparsity: 0.5, granularity: .blocks(block), iterative: iterative ? .total : nil)
        guard try peakGrowth(pruning: config) < 8 << 20 else { exit(1) }
      }
    }
  }

  /// A model of several tensors is pruned where it lies, under either scope: no copy of the
  /// model (which was +100% of its size).
  @Test func modelPruningStaysWithinTheBound() async {
    await #expect(processExitsWith: .success) {
      for scope in [PruningScope.tensor, .global] {
        let config = try PruningConfig(sparsity: 0.5, scope: scope)
        guard try peakGrowth(pruning: config, tensors: 4) < 8 << 20 else { exit(1) }
      }
    }
  }
}

/// How far the resident high-water mark rises while `config` prunes a model of `tensors`
/// tensors of 2048 × 4096 / `tensors` random weights (32 MiB in all).
private func peakGrowth(pruning config: PruningConfig, tensors: Int = 1) throws -> Int {
  var state: UInt64 = 17_006
  var model = try (0 ..< tensors).map { index in
    let count = 2048 * 4096 / tensors
    let values = (0 ..< count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int32(truncatingIfNeeded: state >> 32)) / 1e9
    }
    return try WeightTensor(name: "w\(index)", shape: [2048 / tensors, 4096], values: values)
  }
  let before = try residentHighWaterMark()
  try Pruner(config, threadCount: 2).prune(&model)
  return try residentHighWaterMark() - before
}

/// The high-water mark could not be read: the bound would be checked against nothing.
private struct HighWaterMarkUnreadable: Error {}

/// VmHWM of /proc/self/status, in bytes.
private func residentHighWaterMark() throws -> Int {
  guard let file = fopen("/proc/self/status", "r") else { throw HighWaterMarkUnreadable() }
  defer { fclose(file) }
  var line = [CChar](repeating: 0, count: 256)
  while fgets(&line, Int32(line.count), file) != nil {
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if text.hasPrefix("VmHWM:") {
      guard let kilobytes = Int(text.dropFirst(6).filter(\.isNumber)) else { break }
      return kilobytes * 1024
    }
  }
  throw HighWaterMarkUnreadable()
}
