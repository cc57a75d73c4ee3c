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
  /// however the tensors are stored). Tensors `excluded` returns a reason for are left out.
  ///
  /// - Throws: a usage error for a consumer that does not exist or is not a matrix, a
  ///   producer whose channels do not match, or a tensor in two roles.
  func groups(
    in checkpoint: ShardedCheckpoint, source: String, excluded: (TensorInfo) -> String?
  ) throws(CommandLineError) -> [Group] {
    var producersByConsumer = [String: [TensorInfo]]()
    var role = [String: String]()
    for tensor in checkpoint.tensors where excluded(tensor) == nil {
      for rule in rules {
        guard let match = try? rule.producers.wholeMatch(in: tensor.name) else { continue }
        let consumerName = Self.expand(rule.consumer, with: match)
        guard let consumer = checkpoint.tensor(named: consumerName) else {
          throw .usage("--pair \"\(rule.text)\": tensor \"\(tensor.name)\" pairs with \"\(consumerName)\", which \(source) does not have")
        }
        if let reason = excluded(consumer) {
          throw .usage("--pair \"\(rule.text)\": consumer \"\(consumerName)\" of \"\(tensor.name)\" \(reason); exclude the producers too, or drop the rule")
        }
        guard consumer.shape.count == 2, consumer.dtype.isPrunable else {
          throw .usage("--pair \"\(rule.text)\": consumer \"\(consumerName)\" must be an F32, F16 or BF16 matrix, not \(consumer.dtype.rawValue) \(consumer.shape)")
        }
        let channels = consumer.shape[1]
        guard tensor.shape.count == 2 && tensor.shape[0] == channels || tensor.shape == [channels] else {
          throw .usage("--pair \"\(rule.text)\": producer \"\(tensor.name)\" has shape \(tensor.shape), but \"\(consumerName)\" reads \(channels) channels: expected [\(channels), in] or [\(channels)]")
        }
        guard tensor.dtype.isPrunable else {
          throw .usage("--pair \"\(rule.text)\": producer \"\(tensor.name)\" has dtype \(tensor.dtype.rawValue); only F32, F16 and BF16 are pruned")
        }
        try assign("producer of \(consumerName)", to: tensor.name, in: &role)
        try assign("consumer", to: consumerName, in: &role)
        producersByConsumer[consumerName, default: []].append(tensor)
        break
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

  /// Records that `name` plays `newRole`, unless it already plays another one.
  private func assign(_ newRole: String, to name: String, in roles: inout [String: String])
    throws(CommandLineError)
  {
    if let existing = roles[name], existing != newRole {
      throw .usage("--pair: tensor \"\(name)\" would be both \(existing) and \(newRole); a tensor belongs to one group")
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
