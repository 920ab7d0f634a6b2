import Glibc

extension SocketAddress {
    /// Parses a numeric address: `127.0.0.1:9000`, `:9000` (all IPv4 interfaces),
    /// `[::1]:9000`, `[fe80::1%eth0]:9000`, `unix:/path/to/socket` or a bare `/path`.
    ///
    /// Never resolves names; a host name is an error here (use ``resolve(_:)``). Text with a
    /// NUL byte is rejected (the C calls behind the parser would read only up to it).
    /// Throws ``NetError`` with code `.invalidAddress` quoting the text. O(length).
    public init(_ text: String) throws(NetError) {
        let invalid = NetError(.invalidAddress(text), operation: "parse")
        guard !text.utf8.contains(0) else { throw invalid }
        if text.hasPrefix("unix:") {
            self = try SocketAddress.unix(path: String(text.dropFirst(5)))
            return
        }
        if text.hasPrefix("/") {
            self = try SocketAddress.unix(path: text)
            return
        }
        guard let (host, port) = SocketAddress.splitHostPort(text) else { throw invalid }
        if host.isEmpty {
            self = SocketAddress(storage: .v4(address: 0, port: port))
        } else if let v4 = SocketAddress.parseIPv4(host, port: port) {
            self = v4
        } else if let v6 = SocketAddress.parseIPv6(host, port: port) {
            self = v6
        } else {
            throw invalid
        }
    }

    /// Splits `host:port` or `[v6]:port` into its parts; nil when the shape or port is wrong.
    static func splitHostPort(_ text: String) -> (host: String, port: UInt16)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            guard !host.isEmpty else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            guard !host.contains(":") else { return nil }  // bare IPv6 needs brackets
            portText = text[text.index(after: colon)...]
        }
        // No host name or address literal is longer than a DNS name (253 bytes): longer text
        // is refused here rather than handed to the resolver.
        guard host.utf8.count <= 253 else { return nil }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = UInt16(portText) else { return nil }
        return (String(host), port)
    }

    static func parseIPv4(_ host: String, port: UInt16) -> SocketAddress? {
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return nil }
        return SocketAddress(storage: .v4(address: UInt32(bigEndian: address.s_addr), port: port))
    }

    static func parseIPv6(_ host: String, port: UInt16) -> SocketAddress? {
        var literal = host
        var scopeID: UInt32 = 0
        if let percent = host.firstIndex(of: "%") {
            literal = String(host[..<percent])
            let zone = String(host[host.index(after: percent)...])
            if let numeric = UInt32(zone) {
                scopeID = numeric
            } else {
                scopeID = Syscall.interfaceIndex(named: zone)
                if scopeID == 0 { return nil }
            }
        }
        var address = in6_addr()
        guard inet_pton(AF_INET6, literal, &address) == 1 else { return nil }
        let (high, low) = withUnsafeBytes(of: &address) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        return SocketAddress(storage: .v6(high: high, low: low, port: port, scopeID: scopeID))
    }
}
