import Foundation
import Pruning

/// The values of a JSON report — `bonsai prune --report`'s or `bonsai report --json`'s — read
/// back from their encoding. The HTML report shows these and only these, so that every
/// number it prints is the JSON report's. A tensor field the JSON report gains reaches the
/// page by being named here (`relative_output_error`, written by calibration-aware methods,
/// is); every `config` field reaches it at once.
struct ReportValues: Decodable {
  /// One tensor of the file.
  struct Tensor: Decodable {
    let name: String
    let shape: [Int]
    let outputShape: [Int]?
    let dtype: String
    /// Nil in a report of a checkpoint, which prunes nothing.
    let pruned: Bool?
    let skipReason: String?
    let method: String?
    let scoreSource: String?
    let totalParams: Int
    let nonzeroParams: Int
    let sparsity: Double
    let keptRows: [Int]?
    let keptColumns: [Int]?
    let pattern: PruneReport.Pattern?
    /// How far the layer's output moved on calibration data, when the run measured it.
    let relativeOutputError: Double?
    let nonFinite: Int?
    let magnitude: ScoreStatistics?
  }

  let totalParams: Int
  let totalNonzero: Int
  let overallSparsity: Double
  /// The options of a run (`bonsai prune`), by name.
  let config: [String: ConfigValue]?
  let tensors: [Tensor]

  /// The values of `report` as its JSON encoding holds them, and that encoding.
  static func of(_ report: some Encodable) throws(CommandLineError) -> (ReportValues, Data) {
    let json = try JSONOutput.encoded(report)
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
      return (try decoder.decode(ReportValues.self, from: json), json)
    } catch {
      throw .failure("cannot read the report back for the HTML page: \(error)")
    }
  }
}

/// One value of a run's configuration, as the JSON report writes it.
enum ConfigValue: Decodable, CustomStringConvertible {
  case text(String)
  /// A number, spelled as in the JSON (a 64-bit seed stays exact).
  case number(String)
  case flag(Bool)
  case list([ConfigValue])
  case none

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .none
    } else if let flag = try? container.decode(Bool.self) {
      self = .flag(flag)
    } else if let integer = try? container.decode(Int64.self) {
      self = .number("\(integer)")
    } else if let integer = try? container.decode(UInt64.self) {
      self = .number("\(integer)")
    } else if let number = try? container.decode(Double.self) {
      self = .number("\(number)")
    } else if let text = try? container.decode(String.self) {
      self = .text(text)
    } else {
      self = .list(try container.decode([ConfigValue].self))
    }
  }

  /// The value in words: lists joined by commas, `none` for null or an empty list.
  var description: String {
    switch self {
    case .text(let text), .number(let text): text
    case .flag(let flag): flag ? "yes" : "no"
    case .list(let values): values.isEmpty ? "none" : values.map(\.description).joined(separator: ", ")
    case .none: "none"
    }
  }
}
