import EventLoop
import EventLoopTLS

/// A connection the load client can drive: plain TCP or TLS.
protocol BenchConn: Conn {
    /// The reactor the connection's I/O runs on.
    var reactor: Reactor { get }
    /// Ends the connection at once (a reset where the transport has one).
    func abort()
    /// True when the TLS handshake resumed a session (false for plain TCP).
    var resumedSession: Bool { get }
}

extension TCPConn: BenchConn {
    var resumedSession: Bool { false }
}

extension TLSConn: BenchConn {
    func abort() { tcp.abort() }
    var resumedSession: Bool { info.sessionReused }
}

/// How `bench` opens its connections: the resolved server address, and for `--tls` the client
/// context (trust from `--tls-ca` or none with `--tls-insecure`, the name from `--tls-sni`,
/// a session cache with `--tls-resume`). Thread-safe.
struct BenchConnector: Sendable {
    let addresses: [SocketAddress]
    let label: String
    let dialer: Dialer
    let tls: TLSDialer?

    /// Resolves `label`; `tls` is the client configuration, or nil for plain TCP. Throws what
    /// resolving or compiling the configuration threw.
    init(label: String, timeout: Duration, tls: TLSConfiguration?) async throws {
        addresses = try await SocketAddress.resolve(label)
        self.label = label
        let dialer = Dialer(timeout: timeout)
        self.dialer = dialer
        self.tls = try tls.map { TLSDialer(context: try TLSContext($0), dialer: dialer) }
    }

    /// A plain TCP connection on `reactor`.
    func dialTCP(on reactor: Reactor) async throws -> TCPConn {
        try await dialer.dial(addresses, label: label, on: reactor)
    }

    /// A TLS connection on `reactor`, its handshake completed (needs a TLS connector).
    func dialTLS(on reactor: Reactor) async throws -> TLSConn {
        guard let tls else { preconditionFailure("dialTLS without --tls") }
        return try await tls.dial(addresses[0], on: reactor)
    }
}
