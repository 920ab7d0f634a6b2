import Glibc

/// An IPv4, IPv6 or Unix-domain socket address.
///
/// A value type, `Sendable` and `Hashable`. Parsing never resolves names: use
/// ``SocketAddress/resolve(_:)`` for host names, which runs off every reactor thread.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    enum Storage: Sendable, Hashable {
        /// Address and port in host byte order.
        case v4(address: UInt32, port: UInt16)
        /// Address bytes in network order as two words, port in host order, scope id.
        case v6(high: UInt64, low: UInt64, port: UInt16, scopeID: UInt32)
        case unix(path: String)
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    /// An IPv4 address from its four octets and a port.
    public static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) -> SocketAddress {
        let value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
        return SocketAddress(storage: .v4(address: value, port: port))
    }

    /// `127.0.0.1:port`.
    public static func loopbackIPv4(port: UInt16 = 0) -> SocketAddress { .ipv4(127, 0, 0, 1, port: port) }

    /// `[::1]:port`.
    public static func loopbackIPv6(port: UInt16 = 0) -> SocketAddress {
        SocketAddress(storage: .v6(high: 0, low: UInt64(1).bigEndian, port: port, scopeID: 0))
    }

    /// A Unix-domain stream or datagram socket path. Throws when the path is empty, holds a NUL
    /// byte (the kernel would cut it there) or does not fit `sun_path`.
    public static func unix(path: String) throws(NetError) -> SocketAddress {
        guard !path.isEmpty, !path.utf8.contains(0),
              path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw NetError(.invalidAddress("unix:" + path), operation: "parse")
        }
        return SocketAddress(storage: .unix(path: path))
    }

    /// The address family: `AF_INET`, `AF_INET6` or `AF_UNIX`.
    public var family: Int32 {
        switch storage {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        case .unix: return AF_UNIX
        }
    }

    /// The port for IP addresses, nil for Unix paths.
    public var port: UInt16? {
        switch storage {
        case .v4(_, let port), .v6(_, _, let port, _): return port
        case .unix: return nil
        }
    }

    /// The same address with another port; Unix paths are returned unchanged.
    public func withPort(_ port: UInt16) -> SocketAddress {
        switch storage {
        case .v4(let address, _): return SocketAddress(storage: .v4(address: address, port: port))
        case .v6(let high, let low, _, let scope):
            return SocketAddress(storage: .v6(high: high, low: low, port: port, scopeID: scope))
        case .unix: return self
        }
    }

    /// The Unix path, nil for IP addresses.
    public var path: String? {
        if case .unix(let path) = storage { return path }
        return nil
    }

    /// The host part as text: `127.0.0.1`, `::1`, or the Unix path.
    public var host: String {
        switch storage {
        case .v4(let address, _):
            return "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
        case .v6:
            return withSockAddr { pointer, _ in
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { in6 in
                    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                    var address = in6.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
        case .unix(let path): return path
        }
    }

    /// `127.0.0.1:9000`, `[::1]:9000` or `unix:/path`: the same form ``init(_:)`` parses.
    public var description: String {
        switch storage {
        case .v4(_, let port): return "\(host):\(port)"
        case .v6(_, _, let port, _): return "[\(host)]:\(port)"
        case .unix(let path): return "unix:" + path
        }
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        switch storage {
        case .v4(let address, _): return address >> 24 == 127
        case .v6(let high, let low, _, _): return high == 0 && low == UInt64(1).bigEndian
        case .unix: return false
        }
    }
}
