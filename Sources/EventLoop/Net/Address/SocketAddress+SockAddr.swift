import Glibc

extension SocketAddress {
    /// Calls `body` with this address as a `sockaddr` and its length. O(1).
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        switch storage {
        case .v4(let address, let port):
            var raw = sockaddr_in()
            raw.sin_family = sa_family_t(AF_INET)
            raw.sin_port = port.bigEndian
            raw.sin_addr.s_addr = address.bigEndian
            return try withUnsafePointer(to: &raw) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let high, let low, let port, let scopeID):
            var raw = sockaddr_in6()
            raw.sin6_family = sa_family_t(AF_INET6)
            raw.sin6_port = port.bigEndian
            raw.sin6_scope_id = scopeID
            withUnsafeMutableBytes(of: &raw.sin6_addr) { bytes in
                bytes.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
                bytes.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
            }
            return try withUnsafePointer(to: &raw) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        case .unix(let path):
            var raw = sockaddr_un()
            raw.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &raw.sun_path) { bytes in
                for (index, byte) in path.utf8.enumerated() where index < bytes.count - 1 {
                    bytes[index] = byte
                }
            }
            let length = MemoryLayout<sa_family_t>.size + path.utf8.count + 1
            return try withUnsafePointer(to: &raw) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(length))
                }
            }
        }
    }

    /// Reads an address the kernel filled in (`accept`, `getsockname`); nil for unknown families.
    init?(storage raw: UnsafePointer<sockaddr_storage>, length: socklen_t) {
        switch Int32(raw.pointee.ss_family) {
        case AF_INET:
            let value = UnsafeRawPointer(raw).load(as: sockaddr_in.self)
            self.init(storage: .v4(address: UInt32(bigEndian: value.sin_addr.s_addr), port: UInt16(bigEndian: value.sin_port)))
        case AF_INET6:
            var value = UnsafeRawPointer(raw).load(as: sockaddr_in6.self)
            let (high, low) = withUnsafeBytes(of: &value.sin6_addr) { bytes in
                (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
            self.init(storage: .v6(high: high, low: low, port: UInt16(bigEndian: value.sin6_port), scopeID: value.sin6_scope_id))
        case AF_UNIX:
            let pathOffset = MemoryLayout<sa_family_t>.size
            let pathLength = max(0, Int(length) - pathOffset)
            let path = UnsafeRawPointer(raw).withMemoryRebound(to: UInt8.self, capacity: Int(length)) { bytes in
                let buffer = UnsafeBufferPointer(start: bytes + pathOffset, count: pathLength)
                return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
            }
            self.init(storage: .unix(path: path))
        default:
            return nil
        }
    }
}
