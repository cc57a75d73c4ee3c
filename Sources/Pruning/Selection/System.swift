#if canImport(Glibc)
import Glibc
#endif

/// Facts about the machine the library runs on.
enum System {
  /// The processors this process may run on.
  static var activeProcessorCount: Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }
}
