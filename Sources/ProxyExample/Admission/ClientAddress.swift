import EventLoop

/// A client's IP address without its port, in the form the admission checks compare: an
/// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4
/// client) is the IPv4 address, so one client counts once however it arrived.
enum ClientAddress: Hashable, Sendable {
    case v4(UInt32)
    case v6(UInt128)

    /// The normalised address of `address`; nil for a Unix-domain peer. O(1).
    init?(_ address: SocketAddress) {
        if let value = address.ipv4Value {
            self = .v4(value)
        } else if let value = address.ipv6Value {
            self = ClientAddress.isIPv4Mapped(value) ? .v4(UInt32(truncatingIfNeeded: value)) : .v6(value)
        } else {
            return nil
        }
    }

    /// True for `::ffff:0:0/96`.
    static func isIPv4Mapped(_ value: UInt128) -> Bool { value >> 32 == 0xffff }
}
