import ModelFolders
import Pruning
import SafeTensors

/// `--pair 'PRODUCERS->CONSUMER'`: which tensors share channels and are pruned together.
///
/// PRODUCERS is a regular expression matched against whole tensor names; each match is a
/// producer, whose rows (or, for a 1-D bias, elements) are the channels. CONSUMER is a
/// template of the name of the tensor reading those channels as its columns, where `$1` …
/// `$9` stand for the match's capture groups. Producers naming the same consumer form one
/// group: `(.*)\.mlp\.(up|gate)_proj\.weight->$1.mlp.down_proj.weight` groups each layer's
/// up and gate projections with its down projection.
struct ChannelPairing {
  /// One rule of the command line.
  struct Rule {
    let text: String
    let producers: Regex<AnyRegexOutput>
    let consumer: String
  }

  /// Tensors that share channels: the producers' rows and the consumer's columns.
  struct Group {
    let consumer: TensorInfo
    let producers: [TensorInfo]
    /// The number of channels: the consumer's column count.
    var channels: Int { consumer.shape[1] }
  }

  let rules: [Rule]

  /// No pairing.
  static var none: ChannelPairing { ChannelPairing(rules: []) }
}

extension ChannelPairing {
  /// The rules from `--pair` options.
  ///
  /// - Throws: a usage error naming the rule that lacks `->` or whose regex does not compile.
  init(_ rules: [String]) throws(CommandLineError) {
    var parsed = [Rule]()
    for text in rules {
      let parts = text.split(separator: "->", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw .usage("--pair \"\(text)\" must read PRODUCERS->CONSUMER, e.g. '(.*)\\.up_proj\\.weight->$1.down_proj.weight'")
      }
      do {
        parsed.append(Rule(text: text, producers: try Regex(String(parts[0])), consumer: String(parts[1])))
      } catch {
        throw .usage("--pair \"\(text)\": \"\(parts[0])\" is not a valid regular expression: \(error)")
      }
    }
    self.init(rules: parsed)
  }

  /// The groups of `checkpoint`'s tensors (read from `source`), in consumer order, each
  /// group's producers in name order (so that channel scores add up in the same order
  /// however the tensors are stored). A rule must apply as written: every rule matches at
  /// least one producer that is not `--exclude`d; every producer is an F32, F16 or BF16
  /// tensor with elements whose rows (or elements) match its consumer's columns; a producer
  /// and its consumer are both excluded or neither is; and no tensor plays two roles.
  ///
  /// - Parameters:
  ///   - excluded: Why a tensor is excluded by `--exclude`, or nil.
  /// - Throws: a usage error naming the rule and what keeps it from applying.
  func groups(
    in checkpoint: ShardedCheckpoint, source: String, excluded: (TensorInfo) -> String?
  ) throws(CommandLineError) -> [Group] {
    var producersByConsumer = [String: [TensorInfo]]()
    var role = [String: String]()
    for rule in rules {
      var matched = 0
      var applied = 0
      for tensor in checkpoint.tensors {
        guard let match = try? rule.producers.wholeMatch(in: tensor.name) else { continue }
        matched += 1
        let consumerName = Self.expand(rule.consumer, with: match)
        func problem(_ text: String) -> CommandLineError {
          .usage("--pair \"\(rule.text)\": \(text)")
        }
        guard let consumer = checkpoint.tensor(named: consumerName) else {
          throw problem("tensor \"\(tensor.name)\" pairs with \"\(consumerName)\", which \(source) does not have")
        }
        switch (excluded(tensor), excluded(consumer)) {
        case (.some, .some):
          continue
        case (.some(let reason), nil):
          throw problem("producer \"\(tensor.name)\" \(reason), but its consumer \"\(consumerName)\" does not; exclude both or neither")
        case (nil, .some(let reason)):
          throw problem("consumer \"\(consumerName)\" of \"\(tensor.name)\" \(reason); exclude the producers too, or drop the rule")
        case (nil, nil):
          break
        }
        for (name, info) in [("producer", tensor), ("consumer", consumer)] {
          guard info.dtype.isPrunable else {
            throw problem("\(name) \"\(info.name)\" has dtype \(info.dtype.rawValue); only F32, F16 and BF16 are pruned")
          }
          guard info.elementCount > 0 else {
            throw problem("\(name) \"\(info.name)\" has no elements (shape \(info.shape))")
          }
        }
        guard consumer.shape.count == 2 else {
          throw problem("consumer \"\(consumerName)\" must be a matrix, not of shape \(consumer.shape)")
        }
        let channels = consumer.shape[1]
        guard tensor.shape.count == 2 && tensor.shape[0] == channels || tensor.shape == [channels] else {
          throw problem("producer \"\(tensor.name)\" has shape \(tensor.shape), but \"\(consumerName)\" reads \(channels) channels: expected [\(channels), in] or [\(channels)]")
        }
        try assign("producer of \(consumerName)", to: tensor.name, in: &role, rule: rule)
        try assign("consumer", to: consumerName, in: &role, rule: rule)
        if producersByConsumer[consumerName]?.contains(tensor) != true {
          producersByConsumer[consumerName, default: []].append(tensor)
        }
        applied += 1
      }
      if matched == 0 {
        throw .usage("--pair \"\(rule.text)\": no tensor of \(source) matches its producers' pattern; every rule must apply")
      }
      if applied == 0 {
        throw .usage("--pair \"\(rule.text)\": every tensor it matches is excluded with its consumer; drop the rule")
      }
    }
    return checkpoint.tensors.compactMap { tensor in
      producersByConsumer[tensor.name].map { producers in
        Group(
          consumer: tensor,
          producers: producers.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) })
      }
    }
  }

  /// Records that `name` plays `newRole` under `rule`, unless it already plays another one.
  private func assign(
    _ newRole: String, to name: String, in roles: inout [String: String], rule: Rule
  ) throws(CommandLineError) {
    if let existing = roles[name], existing != newRole {
      throw .usage("--pair \"\(rule.text)\": tensor \"\(name)\" would be both \(existing) and \(newRole); a tensor belongs to one group")
    }
    roles[name] = newRole
  }

  /// `template` with `$1` … `$9` replaced by the match's captures (empty when a group did
  /// not take part).
  static func expand(_ template: String, with match: Regex<AnyRegexOutput>.Match) -> String {
    var result = ""
    var characters = template.makeIterator()
    while let character = characters.next() {
      guard character == "$" else {
        result.append(character)
        continue
      }
      guard let digit = characters.next() else {
        result.append(character)
        break
      }
      if let index = digit.wholeNumberValue, index >= 1, index < match.output.count {
        result += match.output[index].substring.map(String.init) ?? ""
      } else {
        result.append(character)
        result.append(digit)
      }
    }
    return result
  }
}
