import CPruningKernels

#if canImport(Glibc)
import Glibc
#endif

// How many processors this process may really use. `taskset`, cpusets and containers give a
// process fewer processors than the machine has online, and threads beyond those only
// oversubscribe them. Two limits apply: the CPU affinity mask (`sched_getaffinity`: what
// `taskset` and cpusets set) and the CPU bandwidth quota of the process's cgroup and its
// ancestors (v2 `cpu.max`, v1 `cpu.cfs_quota_us` over `cpu.cfs_period_us`: what Docker's
// `--cpus` sets), rounded up. Either is skipped where it cannot be read.

/// The processors this process may use: the default thread count.
enum AvailableProcessors {
  /// The smaller of the affinity mask's processors and the cgroup quota (rounded up), at
  /// least 1. Read once per process: both limits are set when a process or container starts.
  static let count: Int = max(1, min(affinityCount ?? onlineCount, quotaCount ?? .max))

  /// The processors online in the machine.
  static var onlineCount: Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  }

  /// The processors in this process's CPU affinity mask, or nil when it cannot be read.
  /// The corresponding C function is `sched_getaffinity`.
  static var affinityCount: Int? {
    let count = Int(bonsai_affinity_count())
    return count > 0 ? count : nil
  }

  /// The CPU quota of this process's cgroup and its ancestors, rounded up to whole
  /// processors, or nil when there is none (or it cannot be read).
  static var quotaCount: Int? {
    guard let memberships = contents(of: "/proc/self/cgroup") else { return nil }
    var smallest: Int?
    for line in memberships.split(separator: "\n") {
      let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard fields.count == 3 else { continue }
      let controllers = fields[1].split(separator: ",")
      let limits: [Int?]
      if fields[0] == "0" && fields[1].isEmpty {
        limits = ancestors(of: String(fields[2])).map { folder in
          contents(of: "/sys/fs/cgroup\(folder)/cpu.max").flatMap(quota(cpuMax:))
        }
      } else if controllers.contains("cpu") {
        let mount = "/sys/fs/cgroup/" + controllers.joined(separator: ",")
        limits = ancestors(of: String(fields[2])).map { folder in
          guard let quota = contents(of: "\(mount)\(folder)/cpu.cfs_quota_us"),
            let period = contents(of: "\(mount)\(folder)/cpu.cfs_period_us")
          else { return nil }
          return self.quota(cfsQuota: quota, period: period)
        }
      } else {
        continue
      }
      for case let limit? in limits { smallest = min(smallest ?? limit, limit) }
    }
    return smallest
  }

  /// The processors a cgroup v2 `cpu.max` ("200000 100000", or "max 100000") allows.
  static func quota(cpuMax: String) -> Int? {
    let fields = cpuMax.split(whereSeparator: \.isWhitespace)
    guard fields.count == 2 else { return nil }
    return quota(fields[0], period: fields[1])
  }

  /// The processors a cgroup v1 quota and period in microseconds allow (quota −1: none).
  static func quota(cfsQuota: String, period: String) -> Int? {
    guard let quota = cfsQuota.split(whereSeparator: \.isWhitespace).first,
      let period = period.split(whereSeparator: \.isWhitespace).first
    else { return nil }
    return self.quota(quota, period: period)
  }

  /// ceil(quota / period), or nil unless both are positive integers.
  private static func quota(_ quota: Substring, period: Substring) -> Int? {
    guard let quota = Int(quota), let period = Int(period), quota > 0, period > 0 else {
      return nil
    }
    return quota / period + (quota % period == 0 ? 0 : 1)
  }

  /// A cgroup folder and its ancestors up to the root: "/a/b", "/a", "".
  private static func ancestors(of folder: String) -> [String] {
    var path = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
    var folders = [path]
    while let slash = path.lastIndex(of: "/") {
      path = String(path[..<slash])
      folders.append(path)
    }
    return folders
  }

  /// The start of a small file (the first 4 KiB), or nil when it cannot be read.
  private static func contents(of path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
      let count = read(descriptor, buffer.baseAddress, buffer.count)
      guard count > 0 else { return nil }
      return String(decoding: buffer[0 ..< count], as: UTF8.self)
    }
  }
}
