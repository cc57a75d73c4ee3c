import ArgumentParser
import Foundation
import ModelFolders
import Pruning
import SafeTensors

extension Bonsai {
  /// `bonsai report`: the sparsity and weight statistics of a checkpoint. Reads only.
  struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Report the sparsity and |w| statistics of each tensor of a checkpoint.")

    @Argument(help: "The checkpoint to read: a .safetensors file or a model folder.")
    var input: String

    @Flag(help: "Print the report as JSON (every tensor, for a folder too).")
    var json = false

    @Flag(help: "For a model folder, list every tensor instead of one line per name pattern.")
    var verbose = false

    @Option(help: "Also write an HTML report to this path: sparsity by layer, and for each matrix a picture of its mask and a histogram of |w|.")
    var html: String?

    func run() throws {
      try reportingErrors {
        if let html {
          try FileRoles(reads: [("input", input)], writes: [("--html", html)]).check()
        }
        let source = try CheckpointInput.open(input)
        let pictures = html == nil ? nil : TensorPictures()
        let report = try CheckpointReport(source, drawingInto: pictures)
        if let html, let pictures {
          let outputs = OutputSet(syncsToDisk: true)
          let page = try outputs.stage(html)
          let metadata = source.checkpoint.shards.first?.file.metadata ?? [:]
          try HTMLReport(
            report: report, pictures: pictures,
            title: "Bonsai: checkpoint report", subtitle: input,
            settings: metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
          ).write(to: page)
          try outputs.commit()
        }
        if json {
          try JSONOutput.print(report)
        } else {
          Terminal.standardOutput.write(report.text(folded: source.folder != nil && !verbose))
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
    /// The shard holding it, for a model folder.
    let shard: String?
    let shape: [Int]
    let dtype: String
    let totalParams: Int
    let nonzeroParams: Int
    let sparsity: Double
    /// NaN and ±Inf elements (floating-point dtypes Bonsai prunes), which statistics skip.
    let nonFinite: Int?
    let magnitude: ScoreStatistics?

    enum CodingKeys: String, CodingKey {
      case name, shard, shape, dtype, sparsity, magnitude
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

  /// The report of every tensor of a file or folder, read in place — and, given `pictures`,
  /// the picture of every F32, F16 and BF16 matrix (or tensor of higher rank) drawn in the
  /// same read.
  /// - Throws: a failure when a file shrinks while it is being read.
  init(_ input: CheckpointInput, drawingInto pictures: TensorPictures? = nil) throws(CommandLineError) {
    let checkpoint = input.checkpoint
    file = input.folder?.path ?? checkpoint.shards[0].name
    var tensors = [Tensor]()
    for info in checkpoint.tensors {
      do {
        try checkpoint.checkNotTruncated(info)
      } catch {
        throw .failure("\(error)")
      }
      let tensor = checkpoint.withBytes(of: info) { bytes in
        if info.dtype.isPrunable && info.shape.count >= 2 {
          pictures?.add(info, shape: info.shape, before: nil, after: bytes)
        }
        let nonzero = ZeroCount.nonzero(in: bytes, dtype: info.dtype, count: info.elementCount)
        let (nonFinite, magnitude) = WeightStatistics.of(bytes, dtype: info.dtype)
        return Tensor(
          name: info.name, shard: input.folder == nil ? nil : checkpoint.shard(of: info).name,
          shape: info.shape, dtype: info.dtype.rawValue,
          totalParams: info.elementCount, nonzeroParams: nonzero,
          sparsity: info.elementCount == 0 ? 0 : Double(info.elementCount - nonzero) / Double(info.elementCount),
          nonFinite: nonFinite, magnitude: magnitude)
      }
      checkpoint.release(info)
      tensors.append(tensor)
    }
    self.tensors = tensors
    totals = CheckpointTotals(tensors.map { ($0.totalParams, $0.nonzeroParams) })
  }

  /// The report as a table and a summary line; `folded` gathers the tensors of each name
  /// pattern (layer numbers folded) on one row: sparsity over them all, the lowest min|w|,
  /// the highest max|w|, the mean of |w| over them all, no median or deviation.
  func text(folded: Bool = false) -> String {
    func number(_ value: Double?) -> String {
      guard let value else { return "-" }
      return String(format: "%.4g", value)
    }
    let groups = OrderedGroups.gather(tensors) { folded ? NamePattern($0.name).text : $0.name }
    let rows = groups.map { label, members in
      guard members.count > 1 else {
        let tensor = members[0]
        return [
          tensor.name, "\(tensor.shape)", tensor.dtype, "\(Percent(tensor.sparsity))",
          number(tensor.magnitude?.min), number(tensor.magnitude?.max),
          number(tensor.magnitude?.mean), number(tensor.magnitude?.median),
          number(tensor.magnitude?.standardDeviation),
          tensor.nonFinite.map { $0 == 0 ? "" : "\($0) non-finite" } ?? "",
        ]
      }
      let shapes = Set(members.map { "\($0.shape)" })
      let dtypes = Set(members.map(\.dtype))
      let totals = CheckpointTotals(members.map { ($0.totalParams, $0.nonzeroParams) })
      let magnitudes = members.compactMap(\.magnitude)
      let counted = magnitudes.reduce(0) { $0 + $1.count }
      let nonFinite = members.reduce(0) { $0 + ($1.nonFinite ?? 0) }
      return [
        "\(label) ×\(members.count)", shapes.count == 1 ? "\(members[0].shape)" : "mixed",
        dtypes.count == 1 ? members[0].dtype : "mixed", "\(Percent(totals.overallSparsity))",
        number(magnitudes.map(\.min).min()), number(magnitudes.map(\.max).max()),
        number(counted == 0 ? nil : magnitudes.reduce(0) { $0 + $1.mean * Double($1.count) } / Double(counted)),
        "-", "-", nonFinite == 0 ? "" : "\(nonFinite) non-finite",
      ]
    }
    return TextTable.render(
      header: ["tensor", "shape", "dtype", "sparsity", "min|w|", "max|w|", "mean|w|", "median|w|", "std|w|", ""],
      rows: rows)
      + "\(tensors.count) tensors; \(totals.totalNonzero) of \(totals.totalParams) weights "
      + "nonzero, overall sparsity \(Percent(totals.overallSparsity))\n"
  }
}
