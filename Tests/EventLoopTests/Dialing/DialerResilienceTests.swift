@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// Connect timeouts, fallback across addresses, retries and cancellation, over loopback only.
@Suite struct DialerResilienceTests {
    @Test func connectTimeoutAgainstAFullBacklog() async throws {
        try await withReactorGroup { group in
            let hole = try await Blackhole.make(group: group)
            defer { hole.close() }
            let start = Deadline.now
            let error = await #expect(throws: NetError.self) {
                _ = try await Dialer(timeout: .milliseconds(300)).dial(hole.address, group: group)
            }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "connect")
            #expect(error?.address == hole.address.description)
            #expect(Deadline.now - start >= .milliseconds(300))
            #expect(Deadline.now - start < .seconds(10))
        }
    }

    @Test func fallsBackFromARefusedAddressToAGoodOne() async throws {
        try await withReactorGroup { group in
            let good = try await Listener.listen(.loopbackIPv4(), group: group)
            let refused = try await Listener.listen(.loopbackIPv4(), group: group)
            let refusedAddress = refused.address
            refused.close()
            await refused.waitUntilClosed()
            async let accepted = good.accept()
            let conn = try await Dialer().dial([refusedAddress, good.address], on: group.next())
            #expect(conn.remoteAddress == good.address)
            try await accepted.close()
            conn.close()
            good.close()
        }
    }

    @Test func staggeredAttemptStartsWhileTheFirstHangs() async throws {
        try await withReactorGroup { group in
            let hole = try await Blackhole.make(group: group)
            defer { hole.close() }
            let good = try await Listener.listen(.loopbackIPv4(), group: group)
            async let accepted = good.accept()
            var dialer = Dialer(timeout: .seconds(50))
            dialer.fallbackDelay = .milliseconds(100)
            let start = Deadline.now
            let conn = try await dialer.dial([hole.address, good.address], on: group.next())
            let elapsed = Deadline.now - start
            #expect(conn.remoteAddress == good.address)
            #expect(elapsed >= .milliseconds(100))
            #expect(elapsed < .seconds(30), "the second attempt must not wait for the first to time out")
            try await accepted.close()
            conn.close()
            good.close()
            // The hanging attempt was closed: only the good pair and the fillers remain, then nothing.
        }
    }

    @Test func retriesWithBackoffListEveryAttempt() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let address = listener.address
            listener.close()
            await listener.waitUntilClosed()
            let policy = RetryPolicy(attempts: 3, baseDelay: .milliseconds(40), maxDelay: .seconds(1), jitter: true)
            let start = Deadline.now
            let error = await #expect(throws: NetError.self) {
                _ = try await Dialer(retry: policy).dial(address, group: group)
            }
            #expect(error?.code == .dialFailed)
            #expect(error?.underlying.count == 3)
            #expect(error?.underlying.allSatisfy { $0.errno == ECONNREFUSED } == true)
            // Jitter keeps each delay within half and all of 40 ms, then 80 ms.
            #expect(Deadline.now - start >= .milliseconds(60))
            #expect(error?.description.contains("connection refused") == true)
        }
    }

    @Test func noRetryForABadAddress() async throws {
        try await withReactorGroup { group in
            let error = await #expect(throws: NetError.self) {
                _ = try await Dialer(retry: RetryPolicy(attempts: 5)).dial("nonsense", on: group.next())
            }
            if case .invalidAddress = error?.code {} else { Issue.record("expected invalidAddress, got \(String(describing: error))") }
        }
    }

    @Test func cancellingADialLeavesNoDescriptor() async throws {
        try await withReactorGroup { group in
            let hole = try await Blackhole.make(group: group)
            let fillers = group.openSocketCount
            let dial = Task { try await Dialer().dial([hole.address, hole.address], on: group.next()) }
            try await waitUntil { group.openSocketCount > fillers }
            dial.cancel()
            await #expect(throws: CancellationError.self) { _ = try await dial.value }
            try await waitUntil { group.openSocketCount == fillers }
            hole.close()
        }
    }

    @Test func interleavesAddressFamilies() throws {
        let v6 = [try SocketAddress("[::1]:1"), try SocketAddress("[::1]:2")]
        let v4 = [try SocketAddress("127.0.0.1:1"), try SocketAddress("127.0.0.1:2"), try SocketAddress("127.0.0.1:3")]
        let order = Dialer.interleaved(v6 + v4).map(\.description)
        #expect(order == ["[::1]:1", "127.0.0.1:1", "[::1]:2", "127.0.0.1:2", "127.0.0.1:3"])
    }
}
