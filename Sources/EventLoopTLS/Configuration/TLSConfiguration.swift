/// The TLS protocol versions this library speaks. TLS 1.0 and 1.1 are not among them: a peer
/// offering only those fails the handshake.
public enum TLSVersion: Sendable, Hashable, Comparable {
    /// TLS 1.2 (RFC 5246).
    case tls12
    /// TLS 1.3 (RFC 8446).
    case tls13
}

/// Where the certificates that vouch for a peer come from.
public enum TLSTrustRoots: Sendable, Hashable {
    /// The system's trust store (OpenSSL's default paths): the default for clients.
    case system
    /// The CA certificates in this PEM file.
    case file(String)
}

/// Everything that shapes a TLS endpoint, for servers and clients alike. A plain value: build
/// one, then compile it into a ``TLSContext`` (which reports bad trust files), and use that for
/// any number of connections.
///
/// Defaults: TLS 1.2 and 1.3, OpenSSL's default (secure) cipher suites, no renegotiation,
/// session resumption on, a 10 s handshake timeout. Clients verify the server against
/// ``trustRoots`` (the system's by default) and the name in ``serverName``.
public struct TLSConfiguration: Sendable {
    /// Which side of the handshake the configuration is for.
    public enum Role: Sendable, Hashable {
        /// Accepts connections and presents ``TLSConfiguration/certificate``.
        case server
        /// Dials, sends ``TLSConfiguration/serverName`` and verifies the server.
        case client
    }

    /// Which side this is.
    public var role: Role
    /// The chain and key presented: required for servers (the default certificate when no
    /// name in ``certificatesByServerName`` matches); for clients, the client certificate
    /// offered for mutual TLS (nil: none).
    public var certificate: TLSCertifiedKey?
    /// Servers: a certificate per server name (SNI), matched exactly and case-insensitively
    /// against the name the client sends; other names and clients sending none get
    /// ``certificate``.
    public var certificatesByServerName: [String: TLSCertifiedKey] = [:]
    /// Clients: where the CA certificates that vouch for servers come from.
    public var trustRoots: TLSTrustRoots = .system
    /// Clients: false turns off verification of the server's certificate and name (tests
    /// only: the connection is then open to anyone in the path).
    public var verifiesPeer = true
    /// Clients: the name sent in SNI and checked against the server's certificate. nil: no
    /// SNI, and (with ``verifiesPeer``) only the chain is verified, not the name.
    public var serverName: String?
    /// Servers: when set, every client must present a certificate issued by a CA from these
    /// roots (mutual TLS); a client without one, or with one from another CA, fails the
    /// handshake. nil: no client certificate is asked for.
    public var clientCertificateRoots: TLSTrustRoots?
    /// The oldest version accepted (``TLSVersion/tls12`` by default).
    public var minimumVersion: TLSVersion = .tls12
    /// The newest version offered (``TLSVersion/tls13`` by default).
    public var maximumVersion: TLSVersion = .tls13
    /// ALPN protocols in order of preference (`["h2", "http/1.1"]`). Servers pick the first of
    /// theirs the client also offers; none in common fails the handshake with a
    /// `no_application_protocol` alert (RFC 7301), while a client offering none goes on
    /// without. Clients offer them in this order. Each name is 1 to 255 bytes.
    public var applicationProtocols: [String] = []
    /// Session resumption: servers issue TLS 1.3 tickets and keep TLS 1.2 session ids;
    /// clients offer the session kept in ``sessionCache`` for the same server.
    public var sessionResumption = true
    /// Clients: where sessions are kept between connections, by server name and address.
    /// nil: no resumption on the client side.
    public var sessionCache: TLSSessionCache?
    /// How long a handshake may take, from its first message to its last (for a dialled
    /// connection, after the TCP connect); past it the connection is closed and the handshake
    /// throws `NetError` `.timeout`.
    public var handshakeTimeout: Duration = .seconds(10)

    /// A configuration for `role` with every default.
    public init(role: Role) {
        self.role = role
    }

    /// A server presenting `certificate`.
    public static func server(certificate: TLSCertifiedKey) -> TLSConfiguration {
        var configuration = TLSConfiguration(role: .server)
        configuration.certificate = certificate
        return configuration
    }

    /// A client that verifies servers against `trustRoots` and names them `serverName`.
    public static func client(serverName: String? = nil, trustRoots: TLSTrustRoots = .system) -> TLSConfiguration {
        var configuration = TLSConfiguration(role: .client)
        configuration.serverName = serverName
        configuration.trustRoots = trustRoots
        return configuration
    }
}
