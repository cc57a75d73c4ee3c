import Foundation
import Pruning
import SafeTensors

/// The one code path that prunes a checkpoint file, used by `bonsai prune` and
/// `bonsai demo`: read the header, decide per tensor, then stream tensor by tensor into an
/// atomic writer — pruned tensors through one reused buffer in their own dtype, the others
/// copied byte for byte.
struct CheckpointPruning {
  /// The checkpoint to prune; never written to.
  let input: String
  /// Where the pruned checkpoint goes (renamed into place when complete).
  let output: String
  /// How each selected tensor is pruned.
  let pruner: Pruner
  /// Which tensors are pruned.
  let selection: TensorSelection
  /// How progress is shown on stderr.
  let progressStyle: ProgressDisplay.Style

  /// What happened to one tensor of the checkpoint.
  struct TensorOutcome {
    let info: TensorInfo
    /// Why it was not pruned, or nil when it was.
    let skipReason: String?
    /// Nonzero elements before and after.
    let nonzeroBefore: Int
    let nonzeroAfter: Int
  }

  /// The decision for every tensor of `file`, in file order, checked against the options:
  /// a granularity that needs matrices asked of a selected tensor that is not one, or
  /// `--min-nonzero` above a selected tensor's size, is a usage error.
  func plan(_ file: SafeTensorsFile) throws(CommandLineError) -> [(TensorInfo, String?)] {
    let plan = file.tensors.map { ($0, selection.skipReason(for: $0)) }
    let config = pruner.config
    for (tensor, reason) in plan where reason == nil {
      if config.granularity != .unstructured && tensor.shape.count != 2 {
        throw .usage(
          "--granularity \(config.granularity.name) needs 2-D tensors, but tensor "
            + "\"\(tensor.name)\" has shape \(tensor.shape)")
      }
      if config.minNonzero > tensor.elementCount {
        throw .usage(
          "--min-nonzero \(config.minNonzero) exceeds the \(tensor.elementCount) elements of "
            + "tensor \"\(tensor.name)\"")
      }
    }
    return plan
  }

  /// Prunes the checkpoint into `output` and returns what happened to each tensor.
  func run(_ file: SafeTensorsFile, plan: [(TensorInfo, String?)]) throws(CommandLineError)
    -> [TensorOutcome]
  {
    guard !SamePath.same(input, output) else {
      throw .usage("output \(output) is the input file: Bonsai never writes to its input")
    }
    for leftover in SafeTensorsWriter.leftoverTemporaryFiles(for: output) {
      do {
        try FileManager.default.removeItem(atPath: leftover)
        Terminal.standardError.write("bonsai: removed \(leftover), left by an interrupted run\n")
      } catch {
        Terminal.standardError.write("bonsai: cannot remove \(leftover), left by an interrupted run\n")
      }
    }
    var metadata = file.metadata
    metadata["bonsai.version"] = Bonsai.version
    metadata["bonsai.method"] = "\(pruner.config.metric.name) \(pruner.config.granularity.name)"
    metadata["bonsai.sparsity"] = "\(pruner.config.sparsity)"
    metadata["bonsai.pruned_tensors"] = "\(plan.filter { $0.1 == nil }.count)"
    let writer: SafeTensorsWriter
    do {
      writer = try SafeTensorsWriter(
        path: output,
        tensors: file.tensors.map { TensorHeader(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
        metadata: metadata)
    } catch {
      throw .failure("\(error)")
    }
    let progress = ProgressDisplay(
      style: progressStyle, totalTensors: plan.count, totalBytes: file.tensors.reduce(0) { $0 + $1.byteCount })
    let largest = plan.filter { $0.1 == nil }.map(\.0.byteCount).max() ?? 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, 1), alignment: 64)
    defer { buffer.deallocate() }

    var outcomes = [TensorOutcome]()
    var bytesDone = 0
    do {
      for (index, (tensor, skipReason)) in plan.enumerated() {
        let outcome: TensorOutcome
        if let skipReason {
          let nonzero = file.withBytes(of: tensor) { ZeroCount.nonzero(in: $0, dtype: tensor.dtype, count: tensor.elementCount) }
          try file.withBytes(of: tensor) { bytes throws(SafeTensorsError) in try writer.append(bytes) }
          outcome = TensorOutcome(info: tensor, skipReason: skipReason, nonzeroBefore: nonzero, nonzeroAfter: nonzero)
        } else {
          let pruned = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< tensor.byteCount])
          file.withBytes(of: tensor) { pruned.copyMemory(from: $0) }
          let before = ZeroCount.nonzero(in: UnsafeRawBufferPointer(pruned), dtype: tensor.dtype, count: tensor.elementCount)
          do {
            try PrunableBuffer.prune(pruned, dtype: tensor.dtype, shape: tensor.shape, name: tensor.name, with: pruner)
          } catch {
            throw CommandLineError.failure("\(input): \(error)")
          }
          let after = ZeroCount.nonzero(in: UnsafeRawBufferPointer(pruned), dtype: tensor.dtype, count: tensor.elementCount)
          try writer.append(UnsafeRawBufferPointer(pruned))
          outcome = TensorOutcome(info: tensor, skipReason: nil, nonzeroBefore: before, nonzeroAfter: after)
        }
        file.release(tensor)
        outcomes.append(outcome)
        bytesDone += tensor.byteCount
        progress.update(
          index: index, name: tensor.name, bytesDone: bytesDone,
          action: skipReason == nil ? "pruned" : "copied")
      }
      try writer.finish()
    } catch let error as CommandLineError {
      writer.abandon()
      throw error
    } catch {
      writer.abandon()
      throw .failure("\(error)")
    }
    return outcomes
  }
}
