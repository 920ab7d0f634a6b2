import EventLoop

/// A client's IP address without its port, in the form the admission checks compare: an
/// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4
/// client) is the IPv4 address, so one client counts once however it arrived.
enum ClientAddress: Hashable, Sendable {
    case v4(UInt32)
    /// In two halves: a `UInt128` payload would make the type 16-byte aligned, and every class
    /// holding one (an admission ticket, one per client) would then be allocated with
    /// `posix_memalign` instead of `malloc`.
    case v6(high: UInt64, low: UInt64)

    /// The IPv6 address `value`.
    static func ipv6(_ value: UInt128) -> ClientAddress {
        .v6(high: UInt64(truncatingIfNeeded: value >> 64), low: UInt64(truncatingIfNeeded: value))
    }

    /// The 128 bits of an IPv6 address; nil for IPv4.
    var ipv6Value: UInt128? {
        guard case .v6(let high, let low) = self else { return nil }
        return UInt128(high) << 64 | UInt128(low)
    }

    /// The normalised address of `address`; nil for a Unix-domain peer. O(1).
    init?(_ address: SocketAddress) {
        if let value = address.ipv4Value {
            self = .v4(value)
        } else if let value = address.ipv6Value {
            self = ClientAddress.isIPv4Mapped(value) ? .v4(UInt32(truncatingIfNeeded: value)) : .ipv6(value)
        } else {
            return nil
        }
    }

    /// True for `::ffff:0:0/96`.
    static func isIPv4Mapped(_ value: UInt128) -> Bool { value >> 32 == 0xffff }

    /// The per-IP table's key for this client: an IPv6 address cut to its first
    /// `ipv6PrefixLength` bits (0...128), an IPv4 address unchanged. O(1).
    func key(ipv6PrefixLength: Int) -> ClientAddress {
        guard let value = ipv6Value else { return self }
        return .ipv6(value & CIDR.mask128(ipv6PrefixLength))
    }
}
