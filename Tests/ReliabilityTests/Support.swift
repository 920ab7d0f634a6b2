import EventLoop
import EventLoopTesting
import Foundation
import Synchronization

/// How big the stress tests are. The defaults suit a 2-core CI machine running the suite three
/// times (plain, ThreadSanitizer, AddressSanitizer); the sanitizer runs are recognised by the
/// `TSAN_OPTIONS` / `ASAN_OPTIONS` variables `.ci/run` sets, and scaled down.
///
/// - `EVENTLOOP_STRESS_CONNECTIONS=N`: concurrent connections of the connection stress test
///   (default 9,000; 1,000 under a sanitizer; capped below the file limit).
/// - `EVENTLOOP_STRESS_SECONDS=S`: how long the churn test churns (default 3; 1 under a sanitizer).
enum StressScale {
    static let environment = ProcessInfo.processInfo.environment

    /// True when the suite runs under ThreadSanitizer or AddressSanitizer (as `.ci/run` starts it).
    static let underSanitizer = environment["TSAN_OPTIONS"] != nil || environment["ASAN_OPTIONS"] != nil

    static var connections: Int {
        let requested = environment["EVENTLOOP_STRESS_CONNECTIONS"].flatMap { Int($0) } ?? (underSanitizer ? 1_000 : 9_000)
        // The server side lives in this process, which other tests share: keep 1,000 fds spare.
        return max(10, min(requested, fileLimitRaised - 1_000))
    }

    static var churnSeconds: Double {
        environment["EVENTLOOP_STRESS_SECONDS"].flatMap { Double($0) } ?? (underSanitizer ? 1 : 3)
    }
}

/// Raised once per test process to the hard limit (20,000 on CI); children inherit it.
let fileLimitRaised: Int = FileDescriptorLimit.raiseToHardLimit()

/// An echo listener on 127.0.0.1 (port 0), served by tasks; counts connections open at once.
final class EchoServer: Sendable {
    let listener: Listener
    let open = Atomic<Int>(0)
    let peak = Atomic<Int>(0)
    let served = Atomic<Int>(0)

    init(group: ReactorGroup, backlog: Int32 = 1024) async throws {
        listener = try await Listener.listen(.loopbackIPv4(), group: group, backlog: backlog)
        let server = self
        Task { await server.listener.serve { conn in await server.echo(conn) } }
    }

    var port: UInt16 { listener.address.port ?? 0 }

    private func echo(_ conn: TCPConn) async {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
        defer {
            open.wrappingSubtract(1, ordering: .relaxed)
            served.wrappingAdd(1, ordering: .relaxed)
        }
        var buffer = ByteBuffer(capacity: 16 * 1024)
        while true {
            buffer.clear()
            guard let count = try? await conn.read(into: &buffer), count > 0 else { return }
            guard (try? await conn.write(buffer)) != nil else { return }
        }
    }

    func close() async {
        listener.close()
        await listener.waitUntilClosed()
    }
}

/// Seconds since `start` on `clock`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

struct ReliabilityFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A counter any task may bump.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    init() {}
    @discardableResult
    func increment() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }
    var count: Int { value.load(ordering: .relaxed) }
}

/// Lines any task may append.
final class Notes: Sendable {
    private let lines = Mutex<[String]>([])
    init() {}
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
