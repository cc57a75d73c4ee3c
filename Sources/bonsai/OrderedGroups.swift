/// Gathering the lines of a summary: items with the same key on one line, lines in the order
/// of their first item.
enum OrderedGroups {
  /// `items` gathered by `key`, groups in order of their first member, members in order.
  static func gather<Item>(_ items: [Item], by key: (Item) -> String) -> [(key: String, members: [Item])] {
    var groups = [(key: String, members: [Item])]()
    var groupIndex = [String: Int]()
    for item in items {
      let itemKey = key(item)
      if let index = groupIndex[itemKey] {
        groups[index].members.append(item)
      } else {
        groupIndex[itemKey] = groups.count
        groups.append((itemKey, [item]))
      }
    }
    return groups
  }
}
