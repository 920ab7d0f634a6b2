import EventLoopTLS

/// The proxy's TLS settings, checked and compiled when the settings are read (at start and at
/// each reload): a bad certificate or key file is a setting error naming the file.
struct ProxyTLSSettings: Sendable {
    /// `--tls-cert` and `--tls-key`: the files clients' TLS is terminated with.
    var certificateFile: String?
    var keyFile: String?
    /// `--upstream-tls`: the proxy speaks TLS to its upstreams (verified unless told otherwise).
    var upstreamTLS = false
    /// `--upstream-ca`: the CA file upstreams are verified against (nil: the system's roots).
    var upstreamCA: String?
    /// `--upstream-sni`: the name sent to upstreams and checked against their certificates.
    var upstreamSNI: String?
    /// `--tls-handshake-timeout`: how long a handshake (either side) may take.
    var handshakeTimeout: Duration = .seconds(10)
    /// `--route-sni NAME=HOST:PORT` (repeatable): TLS passed through, routed by server name.
    var routes: [SNIRoute] = []
    /// The compiled server side (termination), nil without `--tls-cert`.
    var serverContext: TLSContext?
    /// The compiled client side (origination), nil without `--upstream-tls`.
    var clientContext: TLSContext?

    /// `, routes by SNI a=…, b=…` for the start line, empty without routes.
    var routesSummary: String {
        routes.isEmpty ? "" : ", routes by SNI " + routes.map { "\($0.name)=\($0.target)" }.joined(separator: ", ")
    }

    /// True when a pair needs the proxy to read and write the bytes itself (no splice).
    var isActive: Bool { serverContext != nil || clientContext != nil }
}
