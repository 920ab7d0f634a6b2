import EventLoop

/// An error of the TLS layer: the handshake failed, the peer's certificate did not verify, the
/// peer broke the protocol, or the stream was cut without `close_notify`. Transport failures
/// (timeouts, resets, a closed connection) are not these: they are the `NetError` values a
/// `TCPConn` throws, with the same texts.
///
/// It prints the way `NetError` does, naming the operation, both ends and the reason:
/// `handshake tls 127.0.0.1:8443->127.0.0.1:51234: wrong version number`. Immutable, `Sendable`.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// The handshake failed (the peer spoke no TLS, offered no common version or cipher,
        /// sent no certificate where one is required, or closed the connection during it).
        case handshakeFailed
        /// The peer's certificate did not verify (unknown issuer, expired, wrong name, …).
        case certificateVerificationFailed
        /// The peer closed the TCP stream without sending `close_notify`: the data may have
        /// been cut short by an attacker or a crash, so this is not reported as end of stream.
        case truncated
        /// The peer sent something TLS forbids after the handshake (a bad record, an alert).
        case protocolError
    }

    /// What went wrong.
    public let code: Code
    /// The operation: `handshake`, `read`, `write` or `close`.
    public let operation: String
    /// This end's address, when known.
    public let localAddress: SocketAddress?
    /// The peer's address, when known.
    public let remoteAddress: SocketAddress?
    /// The reason, in OpenSSL's words where it gave some (`wrong version number`,
    /// `certificate has expired`, `peer did not return a certificate`).
    public let reason: String

    /// An error with every field given (public for tests and adapters).
    public init(_ code: Code, operation: String, local: SocketAddress?, remote: SocketAddress?, reason: String) {
        self.code = code
        self.operation = operation
        self.localAddress = local
        self.remoteAddress = remote
        self.reason = reason
    }

    /// `operation tls local->remote: reason`.
    public var description: String {
        var text = operation + " tls"
        if let localAddress { text += " \(localAddress)" }
        if let remoteAddress { text += (localAddress == nil ? " " : "->") + "\(remoteAddress)" }
        return text + ": " + reason
    }
}
