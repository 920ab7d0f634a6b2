import EventLoop
import Glibc
import Synchronization

/// A listener that never accepts, with its backlog filled: SYNs to it are dropped, so a
/// connect hangs (the case a connect timeout exists for). Closed by `close()`.
public final class Blackhole: Sendable {
    let fd: Int32
    /// The address where connects hang.
    public let address: SocketAddress
    let fillers: [TCPConn]
    private let closed = Atomic<Bool>(false)

    /// Binds 127.0.0.1 (port 0), listens with backlog 0 and fills the queue. Throws when it cannot.
    public static func make(group: ReactorGroup) async throws -> Blackhole {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        _ = withUnsafePointer(to: &raw) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &raw) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let address = SocketAddress.loopbackIPv4(port: UInt16(bigEndian: raw.sin_port))
        var fillers: [TCPConn] = []
        for _ in 0..<8 {
            do {
                fillers.append(try await Dialer(timeout: .milliseconds(200)).dial(address, group: group))
            } catch let error as NetError where error.isTimeout {
                return Blackhole(fd: fd, address: address, fillers: fillers)
            }
        }
        throw NetError(.timeout, operation: "fill backlog", address: address.description)
    }

    init(fd: Int32, address: SocketAddress, fillers: [TCPConn]) {
        self.fd = fd
        self.address = address
        self.fillers = fillers
    }

    /// Closes the fillers and the socket. Idempotent: a second `close(2)` of the same number
    /// could close a descriptor another test has opened since.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        fillers.forEach { $0.close() }
        _ = Glibc.close(fd)
    }
}
