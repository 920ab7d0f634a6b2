import Dispatch
import Glibc

/// Name resolution with getaddrinfo, always off the reactor threads (on Dispatch's global queue).
final class Resolver: Sendable {
    /// A blocking lookup of `host` with `port`: the system's getaddrinfo, or a stand-in in tests.
    typealias Lookup = @Sendable (_ host: String, _ port: UInt16) -> Result<[SocketAddress], NetError>

    /// The resolver every public API uses.
    static let shared = Resolver()

    private let lookup: Lookup
    private let running = Locked(0)

    /// A resolver that answers with `lookup` (getaddrinfo unless a test says otherwise).
    init(maxThreads: Int = Resolver.defaultMaxThreads, maxQueued: Int = Resolver.defaultMaxQueued,
         lookup: @escaping Lookup = Resolver.systemLookup) {
        self.lookup = lookup
    }

    static let defaultMaxThreads = 4
    static let defaultMaxQueued = 64

    /// Lookups started and not yet finished.
    var inFlight: Int { running.withLock { $0 } }

    /// Resolves `host` to stream-socket addresses with `port`, IPv6 and IPv4 interleaved in the
    /// order the system prefers. Throws `.resolution` with the resolver's message.
    func resolve(host: String, port: UInt16) async throws -> [SocketAddress] {
        running.withLock { $0 += 1 }
        let outcome: Result<[SocketAddress], NetError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let result = self.lookup(host, port)
                self.running.withLock { $0 -= 1 }
                continuation.resume(returning: result)
            }
        }
        return try outcome.get()
    }

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
