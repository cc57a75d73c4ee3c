// The library's checkpoint closure from a caller's bonsai_callbacks: progress reported,
// then cancel asked, at every checkpoint, and the answer honoured. The library never asks
// a checkpoint once it has started writing the weights (see `Pruner.prune(_:shape:name:
// input:checkpoint:)` and `SparseGPT.pruned(_:shape:name:factor:checkpoint:)`), so a call
// that a callback told to stop always returns BONSAI_ERROR_CANCELLED with the weights as
// they were.

import CBonsaiABI

/// The checkpoint of `callbacks`: reports the fraction done to `progress`, then goes on
/// unless `cancel` returns nonzero; always goes on without callbacks.
func checkpoint(_ callbacks: UnsafePointer<bonsai_callbacks>?) -> (Double) -> Bool {
  guard let callbacks = callbacks?.pointee else { return { _ in true } }
  return { fraction in
    callbacks.progress?(fraction, callbacks.context)
    return callbacks.cancel.map { $0(callbacks.context) == 0 } ?? true
  }
}

extension ErrorReport {
  /// The report of a call a `cancel` callback stopped.
  static let cancelled = ErrorReport(
    BONSAI_ERROR_CANCELLED, "cancelled before the weights were changed")
}
