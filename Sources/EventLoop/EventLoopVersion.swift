/// The version of the EventLoop library, following Semantic Versioning.
///
/// `CHANGELOG.md` lists what each version changed. The value is a compile-time constant:
/// reading it costs nothing and is safe from any thread.
public struct EventLoopVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Incremented for incompatible API changes (before 1.0.0, the minor version is).
    public let major: Int
    /// Incremented for added functionality.
    public let minor: Int
    /// Incremented for fixes.
    public let patch: Int

    /// The version of the library this code was built from.
    public static let current = EventLoopVersion(major: 0, minor: 1, patch: 0)

    /// A version `major.minor.patch`.
    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// `major.minor.patch`, e.g. `0.1.0`.
    public var description: String { "\(major).\(minor).\(patch)" }

    /// Orders by major, then minor, then patch.
    public static func < (lhs: EventLoopVersion, rhs: EventLoopVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
