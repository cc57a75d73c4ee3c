#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The words every error message uses for a C `errno`, so that a full disk reads the same
/// whichever module met it: the codes that mean "the disk is full" spelled out in lower
/// case, the rest as `strerror` says them with the number.
public enum ErrnoDescription {
  /// `no space left on device` (`ENOSPC`), `disk quota exceeded` (`EDQUOT`), otherwise
  /// `strerror`'s text and the code: `Permission denied (errno 13)`.
  public static func text(_ code: Int32) -> String {
    switch code {
    case ENOSPC: return "no space left on device"
    case EDQUOT: return "disk quota exceeded"
    default:
      // glibc's strerror returns static strings for known codes (thread-local otherwise).
      guard let message = strerror(code) else { return "errno \(code)" }
      return "\(String(cString: message)) (errno \(code))"
    }
  }
}
