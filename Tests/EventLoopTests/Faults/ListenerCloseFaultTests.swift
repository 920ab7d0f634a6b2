@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// A listener closed while its accept loop backs off from an injected persistent accept4
/// error: the pending accept ends with `.closed`, the backoff timer that fires afterwards finds
/// the socket gone and does nothing, and the reactor does not spin.
@Suite struct ListenerCloseFaultTests {
    @Test(arguments: [ENOBUFS, ENOMEM])
    func closeDuringAcceptBackoffFailsThePendingAcceptWithoutSpinning(code: Int32) async throws {
        // The listener has a reactor of its own, so its wake-ups are the acceptor's.
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]
            let listener = try await Listener.listen(.loopbackIPv4(), on: reactor)
            let address = listener.address
            try await FaultInjection.withFaults { faults in
                // Counts this reactor's accept4 calls (`matched` also counts other threads' calls
                // on the same number, which is another test's socket once this one is closed).
                let accepts = ShutdownCounter()
                let storm = faults.install(.onReactor(reactor, .accept, fd: AcceptBackoffTests.listeningFD(listener), .fail(code)) { _ in
                    accepts.increment()
                    return true
                })
                let pending = Task { try await listener.accept() }
                try await waitUntil { listener.state.withLock { !$0.waiters.isEmpty } }
                let start = ContinuousClock.now
                let client = try await Dialer().dial(address, on: group.reactors[0])
                defer { client.close() }
                // Each failure is counted once the acceptor has handled it (and begun its backoff).
                try await waitUntil(within: 20) { listener.resourceFailures >= 2 }
                #expect(faults.hits(storm) >= 2)
                AcceptBackoffTests.expectBackoff(hits: accepts.value, since: start)

                listener.close()
                await #expect(throws: NetError(.closed, operation: "accept", network: .tcp, local: address)) {
                    try await value(of: pending)
                }
                // The listening socket is gone once the reactor ran the close.
                try await waitUntil { reactor.openSocketCount == 0 }
                let calls = accepts.value
                let wakeups = reactor.wakeups
                // Watch the listener's reactor for several backoff periods (from the other
                // reactor): the pending backoff timer fires once and finds nothing to accept.
                let window = Duration.nanoseconds(Int64(5 * Acceptor.resourceBackoffNanoseconds))
                try await group.reactors[0].sleep(for: window)
                #expect(accepts.value == calls, "accept4 called on a closed listener")
                let extra = reactor.wakeups - wakeups
                #expect(extra <= 20, "\(extra) wake-ups of an idle reactor in \(window)")
                await #expect(throws: NetError(.closed, operation: "accept", network: .tcp, local: address)) {
                    try await listener.accept()
                }
            }
        }
    }
}

extension AcceptBackoffTests {
    /// Expects `hits` failed accept4 calls since `start` to be spaced by the backoff period
    /// (timers never fire early): a loop that retried at once would make many more. One call
    /// may predate `start` (a new listener tries once before any connection), hence `hits - 2`.
    static func expectBackoff(hits: Int, since start: ContinuousClock.Instant,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let elapsed = ContinuousClock.now - start
        let backoff = Duration.nanoseconds(Int64(Acceptor.resourceBackoffNanoseconds))
        #expect(elapsed >= backoff * max(0, hits - 2), "\(hits) failed accepts in \(elapsed)", sourceLocation: sourceLocation)
    }
}
