import ArgumentParser
import Foundation
import Pruning
import SafeTensors

extension Bonsai {
  /// `bonsai report`: the sparsity and weight statistics of a checkpoint. Reads only.
  struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Report the sparsity and |w| statistics of each tensor of a checkpoint.")

    @Argument(help: "The checkpoint to read (.safetensors).")
    var input: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
      try reportingErrors {
        let report = try CheckpointReport(try CheckpointFile.open(input))
        if json {
          let data = try JSONOutput.encoded(report)
          Terminal.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
          Terminal.standardOutput.write(report.text)
        }
      }
    }
  }
}

/// What `bonsai report` says of a checkpoint.
struct CheckpointReport: Encodable {
  /// One tensor: its counts, and for F32, F16 and BF16 the statistics of |w|.
  struct Tensor: Encodable {
    let name: String
    let shape: [Int]
    let dtype: String
    let totalParams: Int
    let nonzeroParams: Int
    let sparsity: Double
    /// NaN and ±Inf elements (floating-point dtypes Bonsai prunes), which statistics skip.
    let nonFinite: Int?
    let magnitude: ScoreStatistics?

    enum CodingKeys: String, CodingKey {
      case name, shape, dtype, sparsity, magnitude
      case totalParams = "total_params"
      case nonzeroParams = "nonzero_params"
      case nonFinite = "non_finite"
    }
  }

  let file: String
  let totals: CheckpointTotals
  let tensors: [Tensor]

  enum CodingKeys: String, CodingKey {
    case file, tensors
  }

  /// The file and the totals, then the tensors, all at the top level.
  func encode(to encoder: any Encoder) throws {
    try totals.encode(to: encoder)
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(file, forKey: .file)
    try container.encode(tensors, forKey: .tensors)
  }

  /// The report of every tensor of `file`, read in place.
  /// - Throws: a failure when the file shrinks while it is being read.
  init(_ file: SafeTensorsFile) throws(CommandLineError) {
    self.file = file.path
    var tensors = [Tensor]()
    for info in file.tensors {
      do {
        try file.checkNotTruncated()
      } catch {
        throw .failure("\(error)")
      }
      let tensor = file.withBytes(of: info) { bytes in
        let nonzero = ZeroCount.nonzero(in: bytes, dtype: info.dtype, count: info.elementCount)
        let (nonFinite, magnitude) = WeightStatistics.of(bytes, dtype: info.dtype)
        return Tensor(
          name: info.name, shape: info.shape, dtype: info.dtype.rawValue,
          totalParams: info.elementCount, nonzeroParams: nonzero,
          sparsity: info.elementCount == 0 ? 0 : Double(info.elementCount - nonzero) / Double(info.elementCount),
          nonFinite: nonFinite, magnitude: magnitude)
      }
      file.release(info)
      tensors.append(tensor)
    }
    self.tensors = tensors
    totals = CheckpointTotals(tensors.map { ($0.totalParams, $0.nonzeroParams) })
  }

  /// The report as a table and a summary line.
  var text: String {
    func number(_ value: Double?) -> String {
      guard let value else { return "-" }
      return String(format: "%.4g", value)
    }
    let rows = tensors.map { tensor in
      [
        tensor.name, "\(tensor.shape)", tensor.dtype, "\(Percent(tensor.sparsity))",
        number(tensor.magnitude?.min), number(tensor.magnitude?.max),
        number(tensor.magnitude?.mean), number(tensor.magnitude?.median),
        number(tensor.magnitude?.standardDeviation),
        tensor.nonFinite.map { $0 == 0 ? "" : "\($0) non-finite" } ?? "",
      ]
    }
    return TextTable.render(
      header: ["tensor", "shape", "dtype", "sparsity", "min|w|", "max|w|", "mean|w|", "median|w|", "std|w|", ""],
      rows: rows)
      + "\(tensors.count) tensors; \(totals.totalNonzero) of \(totals.totalParams) weights "
      + "nonzero, overall sparsity \(Percent(totals.overallSparsity))\n"
  }
}
