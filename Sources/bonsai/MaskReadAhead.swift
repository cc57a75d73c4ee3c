import Dispatch
import Pruning
import SafeTensors

/// The masks of a run's streamed tensors, each decided one tensor ahead on a thread of its
/// own: while one tensor is copied through its mask into the file (one core, mostly the
/// kernel's copy into the page cache), the next one's mask is decided on the mapped input
/// (the pruner's threads), so that both cores stay busy across tensors.
///
/// Errors keep their order: a mask that fails is thrown when its tensor's turn comes, after
/// every tensor before it was written. At most two masks (n/8 bytes each) are held at once.
/// Without `readingAhead` each mask is decided on the calling thread when it is asked for:
/// a run that holds a whole-tensor buffer does not map a third tensor (and, for a tensor not
/// aligned in its file, an aligned copy of it) while it writes one, so that it stays within
/// 3 × the largest tensor.
struct MaskReadAhead {
  /// Decides one tensor's mask; called on another thread.
  typealias Decide = @Sendable (TensorInfo) -> Result<PruningMask, CommandLineError>

  /// A mask being decided.
  private final class Pending: @unchecked Sendable {
    // `@unchecked` is sound: `result` is written once by the worker before it leaves `done`,
    // and read only after `done.wait()` returns, which orders the write before the read.
    let tensor: TensorInfo
    var result: Result<PruningMask, CommandLineError>?
    let done = DispatchGroup()

    init(tensor: TensorInfo) {
      self.tensor = tensor
    }
  }

  private let decide: Decide
  /// Whether the next mask is decided while the current tensor is written.
  private let readingAhead: Bool
  /// The tensors whose masks are wanted, in the order they are asked for.
  private let order: [TensorInfo]
  /// The place in `order` of the next mask to start.
  private var next = 0
  private var pending: Pending?

  /// Masks of `order`, to be asked for in that order, each decided by `decide`, one ahead
  /// when `readingAhead`.
  init(_ order: [TensorInfo], readingAhead: Bool, decide: @escaping Decide) {
    self.order = order
    self.readingAhead = readingAhead
    self.decide = decide
  }

  /// The mask of `tensor`, the next of the order: waits for it, and starts the one after
  /// (or, without reading ahead, decides it now).
  mutating func mask(of tensor: TensorInfo) throws(CommandLineError) -> PruningMask {
    guard readingAhead else {
      guard next < order.count, order[next] == tensor else {
        preconditionFailure("mask of \"\(tensor.name)\" asked for out of order")
      }
      next += 1
      return try decide(tensor).get()
    }
    if pending == nil { startNext() }
    guard let current = pending, current.tensor == tensor else {
      preconditionFailure("mask of \"\(tensor.name)\" asked for out of order")
    }
    current.done.wait()
    startNext()
    guard let result = current.result else { preconditionFailure("a mask finished without result") }
    return try result.get()
  }

  /// Waits for the mask being decided, if any, so that no work outlives the run (when a run
  /// stops before asking for every mask).
  func settle() {
    pending?.done.wait()
  }

  /// Starts deciding the next mask of the order, if any.
  private mutating func startNext() {
    guard next < order.count else {
      pending = nil
      return
    }
    let started = Pending(tensor: order[next])
    next += 1
    started.done.enter()
    DispatchQueue.global(qos: .userInitiated).async { [decide] in
      started.result = decide(started.tensor)
      started.done.leave()
    }
    pending = started
  }
}
