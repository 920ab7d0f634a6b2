/// The limits applied to a new client before any upstream is dialled.
struct AdmissionLimits: Sendable {
    /// Clients connected at most (nil: no limit).
    var maxConns: Int?
    /// Clients connected at most from one address (nil: no limit).
    var maxConnsPerIP: Int?
    /// New connections per second per client address (token bucket, burst of the same size,
    /// at least 1; nil: no limit).
    var ratePerIP: Double?
    /// Networks allowed to connect (empty: every network not denied).
    var allow: [CIDR] = []
    /// Networks refused (wins over `allow`).
    var deny: [CIDR] = []
}
