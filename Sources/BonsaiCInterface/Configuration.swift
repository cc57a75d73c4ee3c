// bonsai_options_init, bonsai_config_create, bonsai_config_destroy: a C options struct
// checked into a `Pruner` that the caller holds through an opaque pointer.

import CBonsaiABI
import Pruning

/// What a `bonsai_config *` points to: a retained box around the pruner.
final class Configuration {
  let pruner: Pruner

  init(_ pruner: Pruner) {
    self.pruner = pruner
  }

  /// The configuration behind a handle that `bonsai_config_create` returned.
  static func from(_ handle: OpaquePointer) -> Configuration {
    Unmanaged<Configuration>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
  }

  /// The library configuration the options describe.
  static func config(_ options: bonsai_options) throws(ErrorReport) -> PruningConfig {
    let (metric, granularity) = (try metric(options), try granularity(options))
    let iterative = try iterative(options)
    do {
      return try PruningConfig(
        sparsity: options.sparsity, metric: metric, granularity: granularity,
        scope: options.per_row != 0 ? .perRow : .tensor, iterative: iterative,
        minNonzero: Int(options.min_nonzero))
    } catch {
      throw ErrorReport(error)
    }
  }

  private static func metric(_ options: bonsai_options) throws(ErrorReport) -> ImportanceMetric {
    switch options.metric {
    case BONSAI_METRIC_L1: .l1Magnitude
    case BONSAI_METRIC_L2: .l2Magnitude
    case BONSAI_METRIC_TAYLOR: .taylor
    case BONSAI_METRIC_TAYLOR_PROXY: .taylorProxy
    case BONSAI_METRIC_WANDA: .wanda
    case BONSAI_METRIC_RANDOM: .random(seed: options.seed)
    case BONSAI_METRIC_SUPPLIED: .supplied
    default: throw unknown("metric", options.metric.rawValue)
    }
  }

  private static func granularity(_ options: bonsai_options) throws(ErrorReport)
    -> PruningGranularity
  {
    switch options.granularity {
    case BONSAI_GRANULARITY_UNSTRUCTURED: return .unstructured
    case BONSAI_GRANULARITY_ROWS: return .rows
    case BONSAI_GRANULARITY_COLUMNS: return .columns
    case BONSAI_GRANULARITY_N_OF_M:
      return .semiStructured(keep: Int(options.keep), of: Int(options.group))
    case BONSAI_GRANULARITY_BLOCKS:
      let pooling: BlockPooling
      switch options.block_pooling {
      case BONSAI_POOLING_MEAN: pooling = .mean
      case BONSAI_POOLING_MAX: pooling = .max
      default: throw unknown("block pooling", options.block_pooling.rawValue)
      }
      do {
        return .blocks(
          try BlockShape(
            rows: Int(options.block_rows), columns: Int(options.block_columns), pooling: pooling))
      } catch {
        throw ErrorReport(error)
      }
    default: throw unknown("granularity", options.granularity.rawValue)
    }
  }

  private static func iterative(_ options: bonsai_options) throws(ErrorReport) -> IterativeMode? {
    switch options.iterative {
    case BONSAI_ITERATIVE_NONE: nil
    case BONSAI_ITERATIVE_TOTAL: .total
    case BONSAI_ITERATIVE_REMAINING: .remaining
    default: throw unknown("iterative mode", options.iterative.rawValue)
    }
  }

  private static func unknown(_ option: String, _ value: UInt32) -> ErrorReport {
    ErrorReport(BONSAI_ERROR_INVALID_OPTION, "\(option) \(value) is not one of bonsai.h's values")
  }
}

/// Fills `options` with the defaults (those of the `bonsai` command line).
@_cdecl("bonsai_options_init")
public func bonsaiOptionsInit(_ options: UnsafeMutablePointer<bonsai_options>?) {
  options?.pointee = bonsai_options(
    sparsity: 0.5, metric: BONSAI_METRIC_L1, granularity: BONSAI_GRANULARITY_UNSTRUCTURED,
    keep: 2, group: 4, block_rows: 4, block_columns: 4, block_pooling: BONSAI_POOLING_MEAN,
    per_row: 0, iterative: BONSAI_ITERATIVE_NONE, seed: 0, min_nonzero: 1, threads: 0)
}

/// Checks `options` and creates a configuration; see bonsai.h.
@_cdecl("bonsai_config_create")
public func bonsaiConfigCreate(
  _ options: UnsafePointer<bonsai_options>?, _ config: UnsafeMutablePointer<OpaquePointer?>?,
  _ error: UnsafeMutablePointer<bonsai_error>?
) -> bonsai_status {
  config?.pointee = nil
  return reporting(to: error) { () throws(ErrorReport) in
    guard let options else { throw .null("options") }
    guard let config else { throw .null("config") }
    guard options.pointee.threads >= 0 else {
      throw ErrorReport(
        BONSAI_ERROR_INVALID_OPTION, "threads \(options.pointee.threads) is negative")
    }
    let threads = options.pointee.threads == 0 ? nil : Int(options.pointee.threads)
    let pruner = Pruner(try Configuration.config(options.pointee), threadCount: threads)
    config.pointee = OpaquePointer(Unmanaged.passRetained(Configuration(pruner)).toOpaque())
  }
}

/// Releases a configuration; see bonsai.h.
@_cdecl("bonsai_config_destroy")
public func bonsaiConfigDestroy(_ config: OpaquePointer?) {
  guard let config else { return }
  Unmanaged<Configuration>.fromOpaque(UnsafeRawPointer(config)).release()
}
