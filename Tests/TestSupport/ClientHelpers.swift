import EventLoop
import EventLoopTesting
import Foundation

/// Client-side helpers for the end-to-end tests of the examples.
extension TCPConn {
    /// Writes `text` and reads exactly `expecting` bytes of answer (the echo itself by default).
    public func exchange(_ text: String, expecting answer: String? = nil) async throws -> String {
        try await write(Array(text.utf8))
        let count = (answer ?? text).utf8.count
        var reply = ByteBuffer()
        try await readExactly(count, into: &reply)
        return reply.readString(length: count) ?? ""
    }

    /// Reads until the server ends the stream (or resets it): what arrived until then, and
    /// whether it was a reset rather than an orderly end.
    public func readUntilClosed(limit: Int = 1 << 20) async throws -> (text: String, reset: Bool) {
        var buffer = ByteBuffer(capacity: 4096)
        do {
            while buffer.readableBytes <= limit {
                buffer.reserveCapacity(minimumWritableBytes: 4096)
                if try await read(into: &buffer) == 0 { break }
            }
        } catch let error as NetError where error.errno == ECONNRESET {
            return (buffer.readString(length: buffer.readableBytes) ?? "", true)
        }
        return (buffer.readString(length: buffer.readableBytes) ?? "", false)
    }
}

/// Seconds since `start` on the monotonic clock.
public func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Runs `body` with a loopback port where nothing listens and nothing can start listening
/// meanwhile: a socket is bound to it (without listening) until `body` returns, so a connect
/// is refused and no server of a parallel test gets the port.
///
/// With `reusable`, the socket is bound with SO_REUSEPORT, so the test itself can later open a
/// `Listener` (which sets SO_REUSEPORT too) on the same port while it stays reserved: the port
/// goes from refusing to serving without a moment in which another test could take it.
public func withRefusingPort<T>(reusable: Bool = false, _ body: (UInt16) async throws -> T) async throws -> T {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw ExampleFailure("socket: errno \(errno)") }
    defer { close(fd) }
    if reusable {
        var one: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw ExampleFailure("setsockopt SO_REUSEPORT: errno \(errno)")
        }
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else { throw ExampleFailure("bind: errno \(errno)") }
    return try await body(UInt16(bigEndian: address.sin_port))
}

/// `size` bytes of a pattern that depends on `seed`, built with a few memory copies: test
/// code is compiled without optimisation, and a byte-by-byte loop over megabytes would hold a
/// thread of the shared pool long enough to delay the other tests' timers.
public func patternBuffer(size: Int, seed: Int = 0) -> ByteBuffer {
    var buffer = ByteBuffer(capacity: size)
    _ = buffer.withUnsafeMutableWritableBytes { space in
        guard let base = space.baseAddress, size > 0 else { return 0 }
        let first = min(size, 251)  // a prime length, so the pattern does not align with powers of two
        for index in 0..<first { space[index] = UInt8(truncatingIfNeeded: index &* 7 &+ seed) }
        var filled = first
        while filled < size {
            let chunk = min(filled, size - filled)
            (base + filled).copyMemory(from: base, byteCount: chunk)
            filled += chunk
        }
        return size
    }
    return buffer
}

/// True when both buffers hold the same readable bytes (one memcmp).
public func sameBytes(_ left: ByteBuffer, _ right: ByteBuffer) -> Bool {
    left.withUnsafeReadableBytes { a in
        right.withUnsafeReadableBytes { b in
            a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }
    }
}

/// Keeps a listener's port from being handed to anyone else once the listener closes: a
/// socket bound to the same address with SO_REUSEPORT (as ``Listener/listen(_:group:backlog:reusePort:)``
/// binds its own) that never listens. While it is held, a connect to the port is refused
/// after the listener has closed, even when parallel tests bind port 0 all the time (without
/// it the kernel may give the freed port to another test's listener, and the connect succeeds
/// there). IPv4 only. Not owned by any reactor group, so leak checks do not count it.
public final class PortHold: Sendable {
    private let fd: Int32

    /// Binds to `address` (an IPv4 address with the listener's port). Throws when it cannot.
    public init(_ address: SocketAddress) throws {
        guard let port = address.port else { throw ExampleFailure("no port in \(address)") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ExampleFailure("socket: errno \(errno)") }
        var one: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            close(fd)
            throw ExampleFailure("setsockopt SO_REUSEPORT: errno \(errno)")
        }
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_port = port.bigEndian
        raw.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &raw) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw ExampleFailure("bind 127.0.0.1:\(port): errno \(code)")
        }
        self.fd = fd
    }

    deinit { close(fd) }
}

/// A 127.0.0.1 port for a program that cannot report a port it chose (`openssl s_server`,
/// HAProxy): one that was free a moment ago, below the kernel's ephemeral range (32768 and
/// up), so that no listener of a test running beside this one (they bind port 0) can be given
/// it meanwhile. Two tests may still draw the same one: a caller retries when its program
/// finds the port taken.
public func freeLoopbackPort(group: ReactorGroup) async throws -> UInt16 {
    for _ in 0..<50 {
        let candidate = UInt16.random(in: 21000..<29000)
        guard let listener = try? await Listener.listen(.loopbackIPv4(port: candidate), group: group) else { continue }
        listener.close()
        // The close happens on the reactor: wait for it, or the program may find the port taken.
        await listener.waitUntilClosed()
        return candidate
    }
    throw ExampleFailure("no free port")
}

/// A listener on 127.0.0.1 at a port below the kernel's ephemeral range (32768 and up), for a
/// test that expects connects to be refused once it closes the listener: a parallel test's
/// listener on port 0 is never given a port from below that range, so the freed port stays
/// free (``PortHold`` keeps it bound as well).
public func listenBelowEphemeralRange(group: ReactorGroup) async throws -> Listener {
    for _ in 0..<50 {
        if let listener = try? await Listener.listen(.loopbackIPv4(port: UInt16.random(in: 21000..<29000)), group: group) {
            return listener
        }
    }
    throw ExampleFailure("no free port below the ephemeral range")
}

/// The error of a connect to `address` once it is refused, for a test that has just closed
/// the listener there; nil when connects still succeed after `seconds`.
///
/// Right after the close a connect may still succeed: a child process another test is
/// starting at that moment holds a copy of this process's descriptor table until it has closed
/// the descriptors it must not keep (or exec'd), and the listening socket lives on in that copy
/// for as long. So this tries again (closing what connected) until a connect is refused.
public func refusedConnect(to address: SocketAddress, group: ReactorGroup, within seconds: Double = 30) async -> NetError? {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
    while clock.now < deadline {
        do {
            let conn = try await Dialer().dial(address, group: group)
            conn.close()
        } catch let error as NetError {
            return error
        } catch {
            return nil
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return nil
}
