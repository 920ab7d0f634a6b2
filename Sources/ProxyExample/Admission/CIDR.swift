import EventLoop

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `::1/128`; a bare address is a
/// single host). (Stub.)
struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// Parses `text`; throws ``ConfigError`` quoting it when malformed.
    init(_ text: String) throws(ConfigError) {
        throw ConfigError(line: 0, message: "CIDR not supported yet: \(text)")
    }

    /// True when `address` (IPv4, IPv6 or IPv4-mapped IPv6) is inside this network.
    func contains(_ address: SocketAddress) -> Bool { false }

    var description: String { "" }
}
