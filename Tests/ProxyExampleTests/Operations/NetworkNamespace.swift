import Foundation
import Glibc
import Synchronization

/// A network namespace of the test's own, with loopback up and `net.ipv4.tcp_migrate_req`
/// set in it (nothing outside it changes). Work runs in it on a thread of its own
/// (``run(_:)``); processes spawned there live in it. It disappears once its descriptor is
/// closed (deinit) and the processes in it have ended.
final class NetworkNamespace: Sendable {
    private let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close(fd) }

    /// A new namespace, or why there cannot be one here (no CAP_NET_ADMIN, no `ip`, a kernel
    /// without `tcp_migrate_req`).
    static func create() async -> Result<NetworkNamespace, NamespaceError> {
        await onThread {
            guard NamespaceCalls.unshare(NamespaceCalls.newNet) == 0 else { return .failure(NamespaceError("unshare(CLONE_NEWNET): \(String(cString: strerror(errno))) (needs CAP_NET_ADMIN)")) }
            let fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return .failure(NamespaceError("open /proc/thread-self/ns/net: \(String(cString: strerror(errno)))")) }
            let namespace = NetworkNamespace(fd: fd)
            let candidates: [String] = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"]
            guard let ip = candidates.first(where: { access($0, X_OK) == 0 }) else {
                return .failure(NamespaceError("no ip(8) to bring loopback up"))
            }
            // Spawned from this thread: the child is in the new namespace.
            let words: [String] = [ip, "link", "set", "lo", "up"]
            let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var child: pid_t = 0
            guard posix_spawn(&child, ip, nil, nil, argv, environ) == 0 else { return .failure(NamespaceError("cannot run \(ip)")) }
            var status: Int32 = 0
            guard waitpid(child, &status, 0) == child, status == 0 else { return .failure(NamespaceError("ip link set lo up: status \(status)")) }
            // The sysctl file belongs to the namespace of the thread opening it.
            let sysctl = open("/proc/sys/net/ipv4/tcp_migrate_req", O_WRONLY | O_CLOEXEC)
            guard sysctl >= 0 else { return .failure(NamespaceError("no net.ipv4.tcp_migrate_req (Linux 5.14 or later)")) }
            defer { close(sysctl) }
            let value = ProcessInfo.processInfo.environment["EVENTLOOP_HANDOVER_MIGRATE"] ?? "1"
            guard write(sysctl, value, 1) == 1 else { return .failure(NamespaceError("setting tcp_migrate_req: \(String(cString: strerror(errno)))")) }
            return .success(namespace)
        }
    }

    /// Runs `body` on a new thread inside the namespace and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let fd = self.fd
        return try await Self.onThread { () -> Result<T, any Error> in
            guard NamespaceCalls.setns(fd, NamespaceCalls.newNet) == 0 else {
                return .failure(NamespaceError("setns: \(String(cString: strerror(errno)))"))
            }
            return Result { try body() }
        }.get()
    }

    /// Runs `body` on a thread of its own (namespace changes stay on that thread).
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.start()
        }
    }
}

/// `unshare(2)` and `setns(2)`, looked up in the C library at run time (its headers declare
/// them only with `_GNU_SOURCE`, which the Swift module does not define).
enum NamespaceCalls {
    /// CLONE_NEWNET from <sched.h>.
    static let newNet: Int32 = 0x4000_0000

    static func unshare(_ flags: Int32) -> Int32 {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare") else { return -1 }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)(flags)
    }

    static func setns(_ fd: Int32, _ type: Int32) -> Int32 {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return -1 }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)(fd, type)
    }
}

/// A failure to enter the namespace.
struct NamespaceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A client loop on blocking sockets: connects to 127.0.0.1:`port`, sends 4 bytes, reads
/// the echo, closes; again and again until ``stop()``. Counts each outcome. Thread-safe.
final class ConnectionLoad: Sendable {
    let port: UInt16
    private let stopped = Atomic<Bool>(false)
    private let succeeded = Atomic<Int>(0)
    private let failures = Mutex<[String]>([])

    init(port: UInt16) {
        self.port = port
    }

    var successes: Int { succeeded.load(ordering: .relaxed) }
    var failed: [String] { failures.withLock { $0 } }

    func stop() { stopped.store(true, ordering: .relaxed) }

    /// The loop (blocking: run it on a thread of its own). Each read waits at most 5 s.
    func run() {
        while !stopped.load(ordering: .relaxed) {
            if let failure = once() {
                failures.withLock { $0.append(failure) }
            } else {
                succeeded.add(1, ordering: .relaxed)
            }
        }
    }

    /// One connection; nil when it was served, else what went wrong.
    private func once() -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "connect: \(String(cString: strerror(errno)))" }
        guard write(fd, "ping", 4) == 4 else { return "write: \(String(cString: strerror(errno)))" }
        var reply = [UInt8](repeating: 0, count: 4)
        var got = 0
        while got < 4 {
            let count = reply.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, 4 - got) }
            if count < 0 { return "read: \(String(cString: strerror(errno)))" }
            if count == 0 { return "read: end of stream after \(got) bytes" }
            got += count
        }
        return reply == Array("ping".utf8) ? nil : "wrong echo"
    }
}
