import EventLoop

/// A TLS client: dials TCP with a `Dialer`, then runs the client handshake (SNI, ALPN,
/// verification, resumption from the configuration's session cache), bounded by the
/// configuration's handshake timeout. A value; any thread.
public struct TLSDialer: Sendable {
    /// The TCP dialer (timeouts, retries, options).
    public var dialer: Dialer
    /// The client context.
    public let context: TLSContext

    /// A dialer using `context` (a client context) over `dialer`.
    public init(context: TLSContext, dialer: Dialer = Dialer()) {
        precondition(context.configuration.role == .client, "TLSDialer needs a client context")
        self.context = context
        self.dialer = dialer
    }

    /// Connects to `address` on `reactor` and completes the handshake. `serverName` (else the
    /// configuration's) is sent as SNI and checked against the certificate. Throws the
    /// dialer's `NetError`, ``TLSError`` (``TLSError/Code/certificateVerificationFailed`` for
    /// an expired or wrongly named certificate), `NetError` `.timeout` past the handshake timeout.
    public func dial(_ address: SocketAddress, serverName: String? = nil, on reactor: Reactor) async throws -> TLSConn {
        let tcp = try await dialer.dial(address, on: reactor)
        return try await TLSConn.handshake(tcp, context: context, serverName: serverName)
    }

    /// Connects on the next reactor of `group`; see ``dial(_:serverName:on:)``.
    public func dial(_ address: SocketAddress, serverName: String? = nil, group: ReactorGroup) async throws -> TLSConn {
        let tcp = try await dialer.dial(address, group: group)
        return try await TLSConn.handshake(tcp, context: context, serverName: serverName)
    }
}
