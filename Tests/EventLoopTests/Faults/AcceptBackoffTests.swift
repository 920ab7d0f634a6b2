@testable import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// The accept loop under injected accept4 errors: a persistent error (out of descriptors, of
/// buffer memory, of kernel memory, a refusal) pauses accepting for a backoff period and is
/// reported once per period, without spinning; a per-connection error is skipped at once.
@Suite struct AcceptBackoffTests {
    /// The listening descriptor of a listener on one reactor.
    static func listeningFD(_ listener: Listener) -> Int32 {
        listener.state.withLock { $0.acceptors[0].fd }
    }

    @Test(arguments: [EMFILE, ENFILE, ENOBUFS, ENOMEM, EPERM])
    func persistentErrorBacksOffThenRecovers(code: Int32) async throws {
        // The listener has a reactor of its own, so the wake-ups counted are its acceptor's
        // (the test's own waits run on the first reactor).
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]
            let listener = try await Listener.listen(.loopbackIPv4(), on: reactor)
            defer { listener.close() }
            let reports = Mutex<[Int32]>([])
            listener.onResourceExhausted { error in reports.withLock { $0.append(error.errno ?? 0) } }
            try await FaultInjection.withFaults { faults in
                let storm = faults.install(.init(.accept, fd: Self.listeningFD(listener), count: .max, .fail(code)))
                let start = ContinuousClock.now
                let wakeupsBefore = reactor.wakeups
                let client = try await Dialer().dial(listener.address.description, on: group.reactors[0])
                defer { client.close() }
                // The storm goes on: the pending connection stays in the kernel's backlog.
                try await waitUntil(within: 20) { faults.hits(storm) >= 5 }
                let hits = faults.hits(storm)
                let elapsed = ContinuousClock.now - start
                let wakeups = reactor.wakeups - wakeupsBefore
                // Each retry waits a backoff period (timers never fire early): no spinning.
                let backoff = Duration.nanoseconds(Int64(Acceptor.resourceBackoffNanoseconds))
                #expect(elapsed >= backoff * (hits - 1) - .milliseconds(5), "\(hits) accepts in \(elapsed)")
                // Each retry is one timer wake-up, not a busy loop inside one pass.
                #expect(hits <= Int(wakeups) + 2, "\(hits) accept4 calls in \(wakeups) wake-ups")
                #expect(wakeups <= UInt64(3 * hits + 10), "\(wakeups) wake-ups for \(hits) failed accepts")
                let final = faults.lift(storm)
                let server = try await listener.accept()
                server.close()
                // Reported once per backoff period, each report naming the errno.
                let reported = reports.withLock { $0 }
                #expect(reported.count >= hits && reported.count <= final.matched)
                #expect(reported.allSatisfy { $0 == code })
                #expect(listener.resourceFailures == reported.count)
            }
        }
    }

    @Test(arguments: [ECONNABORTED, EINTR, EPROTO])
    func perConnectionErrorIsSkippedWithoutBackoff(code: Int32) async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            defer { listener.close() }
            try await FaultInjection.withFaults { faults in
                let fault = faults.install(.init(.accept, fd: Self.listeningFD(listener), count: 3, .fail(code)))
                let client = try await Dialer().dial(listener.address, group: group)
                defer { client.close() }
                let server = try await listener.accept()
                server.close()
                #expect(faults.hits(fault) == 3)
                #expect(listener.resourceFailures == 0)
            }
        }
    }

    /// Per-connection errors are not backed off, but an endless run of them (each call costs a
    /// syscall, and the batch budget counts it) lets the reactor run its other work between
    /// batches instead of holding it inside one event.
    @Test func endlessPerConnectionErrorsDoNotHoldTheReactor() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]
            let listener = try await Listener.listen(.loopbackIPv4(), on: reactor)
            defer { listener.close() }
            try await FaultInjection.withFaults { faults in
                let storm = faults.install(.init(.accept, fd: Self.listeningFD(listener), count: .max, .fail(ECONNABORTED)))
                let client = try await Dialer().dial(listener.address.description, on: group.reactors[0])
                defer { client.close() }
                try await waitUntil { faults.hits(storm) > 2 * Acceptor.maxAcceptsPerEvent }
                // Work queued on the listener's reactor still runs while the errors go on.
                try await withTimeout(30) { try await reactor.sleep(for: .milliseconds(1)) }
                #expect(listener.resourceFailures == 0)
                faults.lift(storm)
                let server = try await listener.accept()
                server.close()
            }
        }
    }

    @Test func thirdAcceptFailsOnlyThatCall() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            defer { listener.close() }
            try await FaultInjection.withFaults { faults in
                let fault = faults.install(.init(.accept, fd: Self.listeningFD(listener), skip: 2, count: 1, .fail(ENOBUFS)))
                var conns: [TCPConn] = []
                for _ in 0..<4 {
                    conns.append(try await Dialer().dial(listener.address, group: group))
                    conns.append(try await listener.accept())
                }
                conns.forEach { $0.close() }
                #expect(faults.hits(fault) == 1)
                #expect(listener.resourceFailures == 1)
            }
        }
    }
}
