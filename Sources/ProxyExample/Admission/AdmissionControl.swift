import EventLoop

/// Why a client was refused; the raw value is the metrics label.
enum RefusalReason: String, CaseIterable, Sendable, Error {
    case denied
    case maxConns = "max_conns"
    case maxConnsPerIP = "max_conns_per_ip"
    case rate
    case noUpstream = "no_upstream"
    case draining
}

/// The limits applied to a new client before any upstream is dialled.
struct AdmissionLimits: Sendable {
    var maxConns: Int?
    var maxConnsPerIP: Int?
    /// New connections per second per client address (token bucket, burst of the same size).
    var ratePerIP: Double?
    var allow: [CIDR] = []
    var deny: [CIDR] = []
}

/// Decides whether a new client may connect, and counts the admitted ones. (Stub.)
final class AdmissionControl: Sendable {
    /// A proof of admission; give it back with ``release(_:)`` when the client is gone.
    struct Ticket: Sendable {
        let address: SocketAddress?
    }

    init(limits: AdmissionLimits) {}

    /// Admits the client at `address` or says why not. Thread-safe.
    func admit(_ address: SocketAddress?) -> Result<Ticket, RefusalReason> { .success(Ticket(address: address)) }

    /// The client of `ticket` is gone. Thread-safe.
    func release(_ ticket: Ticket) {}

    /// Clients admitted and not yet released.
    var activeCount: Int { 0 }
}
