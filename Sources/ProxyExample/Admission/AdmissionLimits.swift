/// The limits applied to a new client before any upstream is dialled.
struct AdmissionLimits: Sendable, Equatable {
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
    /// The per-IP limits count an IPv6 client by its first this many bits (0...128; 64: one
    /// /64, what a single host or site usually gets), so rotating addresses inside the prefix
    /// does not get around them. IPv4 clients always count by their whole address.
    var ipv6PrefixLength = 64
    /// Addresses (or IPv6 prefixes) the per-IP table tracks at most (at least 1).
    var ipTableSize = 100_000
}
