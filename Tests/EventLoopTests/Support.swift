import EventLoop
import EventLoopTesting
import Glibc

/// A listener on 127.0.0.1, port 0, that echoes every connection until closed.
func startEchoServer(_ group: ReactorGroup, address: SocketAddress = .loopbackIPv4()) async throws -> Listener {
    serveEcho(try await Listener.listen(address, group: group))
}

/// An echo listener served by one reactor.
func startEchoServer(on reactor: Reactor, address: SocketAddress = .loopbackIPv4()) async throws -> Listener {
    serveEcho(try await Listener.listen(address, on: reactor))
}

private func serveEcho(_ listener: Listener) -> Listener {
    Task {
        await listener.serve { conn in
            var buffer = ByteBuffer(capacity: 16 * 1024)
            while true {
                buffer.clear()
                guard let count = try? await conn.read(into: &buffer), count > 0 else { return }
                guard (try? await conn.write(buffer)) != nil else { return }
            }
        }
    }
    return listener
}

/// True when this host can bind ::1.
let hasIPv6Loopback: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
    }
}()

/// A fresh Unix socket path under the temporary directory.
func temporaryUnixPath(_ name: String) -> String {
    "/tmp/eventloop-test-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max)).sock"
}

/// Raised once per test process: 1,000-connection tests need more than the default 1,024 fds.
let fileLimitRaised: Int = FileDescriptorLimit.raiseToHardLimit()
