import EventLoop
import Glibc

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is
/// a single host (`/32` or `/128`).
///
/// Parsing is strict about the shape: dotted-quad IPv4 with no leading zeros, IPv6 as
/// `inet_pton` reads it (no zone `%eth0`), a decimal prefix length with no sign or leading
/// zero, no whitespace. Host bits set below the prefix (`10.1.2.3/8`) are accepted and masked
/// off (the network is `10.0.0.0/8`), as routers and most firewalls do.
///
/// IPv4-mapped IPv6 forms are IPv4 on both sides: a network inside `::ffff:0:0/96` is stored
/// and printed as the IPv4 network it covers (`::ffff:10.0.0.0/104` is `10.0.0.0/8`), and a
/// client at `::ffff:a.b.c.d` is matched as `a.b.c.d`. So `::/0` covers every IPv6 client
/// but no IPv4 client, and `0.0.0.0/0` every IPv4 client (mapped or not). Unix-domain clients
/// never match any network.
///
/// A value type; `contains` is O(1) and allocation-free.
struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The network's address with host bits cleared, and its family.
    let network: ClientAddress
    /// The prefix length: 0...32 for IPv4, 0...128 for IPv6.
    let prefixLength: Int

    /// Parses `text`; throws ``ConfigError`` quoting it (cut short) and saying what is wrong.
    /// O(length), never more than a few dozen characters are looked at.
    init(_ text: String) throws(ConfigError) {
        func fail(_ why: String) -> ConfigError {
            ConfigError(line: 0, message: "\(quoted(text)) is not a network (CIDR such as 10.0.0.0/8 or 2001:db8::/32): \(why)")
        }
        let utf8 = text.utf8
        guard !utf8.isEmpty else { throw fail("empty") }
        guard utf8.count <= 64 else { throw fail("too long") }
        let slash = utf8.firstIndex(of: UInt8(ascii: "/"))
        let addressText = String(decoding: utf8[..<(slash ?? utf8.endIndex)], as: UTF8.self)
        let isV6 = addressText.utf8.contains(UInt8(ascii: ":"))
        let maximum = isV6 ? 128 : 32

        var prefix = maximum
        if let slash {
            let digits = utf8[utf8.index(after: slash)...]
            guard let value = CIDR.parsePrefix(digits), value <= maximum else {
                throw fail("the prefix length must be a number from 0 to \(maximum)")
            }
            prefix = value
        }
        if isV6 {
            guard let value = CIDR.parseIPv6(addressText) else { throw fail("bad IPv6 address") }
            let masked = value & CIDR.mask128(prefix)
            if prefix >= 96 && ClientAddress.isIPv4Mapped(masked) {
                self.init(network: .v4(UInt32(truncatingIfNeeded: masked)), prefixLength: prefix - 96)
            } else {
                self.init(network: .ipv6(masked), prefixLength: prefix)
            }
        } else {
            guard let value = CIDR.parseIPv4(addressText.utf8) else { throw fail("bad IPv4 address") }
            self.init(network: .v4(value & CIDR.mask32(prefix)), prefixLength: prefix)
        }
    }

    private init(network: ClientAddress, prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    /// True when `address` is inside this network (see the type's notes on IPv4-mapped
    /// addresses); always false for a Unix-domain address. O(1).
    func contains(_ address: SocketAddress) -> Bool {
        guard let client = ClientAddress(address) else { return false }
        return contains(client)
    }

    /// True when the normalised `client` is inside this network. O(1).
    func contains(_ client: ClientAddress) -> Bool {
        switch (network, client) {
        case (.v4(let net), .v4(let value)): return value & CIDR.mask32(prefixLength) == net
        case (.v6, .v6):
            guard let net = network.ipv6Value, let value = client.ipv6Value else { return false }
            return value & CIDR.mask128(prefixLength) == net
        default: return false
        }
    }

    /// `10.0.0.0/8`, `2001:db8::/32`: the canonical form (host bits cleared).
    var description: String {
        switch network {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)/\(prefixLength)"
        case .v6:
            let value = network.ipv6Value ?? 0
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { bytes in
                for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: value >> (120 - 8 * index)) }
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/\(prefixLength)"
        }
    }

    /// The netmask of `prefix` bits (0 gives 0: Swift's shifts saturate).
    static func mask32(_ prefix: Int) -> UInt32 { ~UInt32(0) << (32 - prefix) }
    static func mask128(_ prefix: Int) -> UInt128 { ~UInt128(0) << (128 - prefix) }

    /// A decimal prefix length: 1 to 3 ASCII digits, no leading zero except `0` itself.
    private static func parsePrefix(_ digits: Substring.UTF8View) -> Int? {
        guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if digits.count > 1 && digits.first == 0x30 { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// Four decimal octets 0...255 separated by dots, no leading zeros.
    private static func parseIPv4(_ text: String.UTF8View) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var current = 0
        var digits = 0
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | UInt32(current)
                octets += 1
                current = 0
                digits = 0
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            if digits > 0 && current == 0 { return nil }  // leading zero
            current = current * 10 + Int(byte - 0x30)
            digits += 1
            guard current <= 255 else { return nil }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | UInt32(current)
    }

    /// An IPv6 literal as `inet_pton` reads it, after checking it holds only hex digits, colons
    /// and dots (so no NUL, zone or other text reaches the C call).
    private static func parseIPv6(_ text: String) -> UInt128? {
        guard text.utf8.count <= Int(INET6_ADDRSTRLEN) - 1,
              text.utf8.allSatisfy({ byte in
                  (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
                      || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
              })
        else { return nil }
        var raw = in6_addr()
        guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
        return withUnsafeBytes(of: &raw) { bytes in
            bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        }
    }
}
