import Glibc

extension Resolver {
    /// The system's lookup: getaddrinfo for stream sockets, IPv6 and IPv4 in the order the
    /// system prefers, duplicates removed. Blocks the calling thread for as long as the
    /// resolver takes (with an unresponsive DNS server, the timeouts of resolv.conf: seconds).
    /// The list getaddrinfo returns is always freed before this returns.
    static func systemLookup(host: String, port: UInt16) -> Result<[SocketAddress], NetError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let message = String(cString: gai_strerror(status))
            return .failure(NetError(.resolution(message), operation: "lookup", address: "\(host):\(port)"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let raw = entry.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { bytes in
                    bytes.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: Int(entry.pointee.ai_addrlen)))
                }
                if let address = withUnsafePointer(to: &storage, { SocketAddress(storage: $0, length: entry.pointee.ai_addrlen) }),
                   !addresses.contains(address) {
                    addresses.append(address)
                }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.isEmpty
            ? .failure(NetError(.resolution("no addresses"), operation: "lookup", address: "\(host):\(port)"))
            : .success(addresses)
    }
}
