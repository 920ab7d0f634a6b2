/// Why a ``TLSConfiguration`` or ``TLSContext`` could not be built: the file involved (when
/// the input came from one) and the reason, e.g.
/// `tls configuration /etc/server.key: the private key is encrypted (passphrase-protected keys are not supported)`.
/// Immutable and `Sendable`.
public struct TLSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file that could not be used, or nil for input given in memory.
    public let file: String?
    /// What was wrong with it, in words (the system's or OpenSSL's text where one exists).
    public let reason: String

    /// An error for `file` (nil: input from memory) with `reason`.
    public init(file: String?, reason: String) {
        self.file = file
        self.reason = reason
    }

    /// `tls configuration <file>: <reason>` (without the file for input from memory).
    public var description: String {
        if let file { return "tls configuration \(file): \(reason)" }
        return "tls configuration: \(reason)"
    }
}
