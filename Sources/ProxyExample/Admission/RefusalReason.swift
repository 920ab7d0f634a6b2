/// Why a client was refused; the raw value is the metrics label.
enum RefusalReason: String, CaseIterable, Sendable, Error {
    /// The deny list matched, or a non-empty allow list did not.
    case denied
    /// `--max-conns` clients are connected.
    case maxConns = "max_conns"
    /// `--max-conns-per-ip` clients are connected from this address.
    case maxConnsPerIP = "max_conns_per_ip"
    /// This address opened connections faster than `--rate-per-ip`.
    case rate
    /// The per-address table is full of live addresses, so this new address cannot be tracked
    /// (see ``ClientTable``).
    case clientTableFull = "client_table_full"
    /// No upstream could be reached.
    case noUpstream = "no_upstream"
    /// The proxy is shutting down.
    case draining
    /// `--accept-proxy`: the client's PROXY protocol header was missing, malformed, too long
    /// or not complete in time.
    case proxyHeader = "proxy_header"
    /// `--tls-cert`: the client's TLS handshake failed (not TLS, a protocol error, or not
    /// complete within `--tls-handshake-timeout`).
    case tlsHandshake = "tls_handshake"
    /// `--upstream-tls`: the upstream's TLS handshake failed (its certificate did not verify,
    /// for instance); the client is closed.
    case upstreamTLS = "upstream_tls"
    /// `--route-sni`: the client's ClientHello did not arrive complete within
    /// `--tls-handshake-timeout` (or the client closed first).
    case clientHello = "client_hello"
    /// `--route-sni`: no route matched the client's server name (or it sent none, or no TLS)
    /// and there is no `--upstream` list to fall back on.
    case noRoute = "no_route"
}
