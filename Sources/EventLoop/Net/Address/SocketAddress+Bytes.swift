extension SocketAddress {
    /// The IPv4 address as an integer in host byte order (`a.b.c.d` is `a << 24 | b << 16 | c << 8 | d`);
    /// nil for IPv6 and Unix addresses. O(1), no system call.
    public var ipv4Value: UInt32? {
        if case .v4(let address, _) = storage { return address }
        return nil
    }

    /// The IPv6 address as a 128-bit integer whose most significant byte is the first byte on
    /// the wire (`2001:db8::1` is `0x2001_0db8_0000_…_0001`); nil for IPv4 and Unix addresses.
    /// An IPv4-mapped address (`::ffff:a.b.c.d`) is returned as such, not converted. O(1), no
    /// system call.
    public var ipv6Value: UInt128? {
        if case .v6(let high, let low, _, _) = storage {
            return UInt128(UInt64(bigEndian: high)) << 64 | UInt128(UInt64(bigEndian: low))
        }
        return nil
    }

    /// The address bytes in network order: 4 for IPv4, 16 for IPv6, nil for a Unix path. O(1)
    /// (allocates the array), no system call.
    public var addressBytes: [UInt8]? {
        if let value = ipv4Value {
            return [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        }
        if let value = ipv6Value {
            return (0..<16).map { UInt8(truncatingIfNeeded: value >> (120 - 8 * $0)) }
        }
        return nil
    }
}
