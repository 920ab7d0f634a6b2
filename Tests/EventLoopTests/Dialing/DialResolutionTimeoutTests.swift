import Dispatch
@testable import EventLoop
import EventLoopTesting
import Testing
import TestSupport

/// A stand-in for a DNS server that never answers: every lookup blocks until `open()`, and
/// the calls are counted. Opening is final; lookups after it return at once.
final class LookupGate: Sendable {
    private struct State {
        var open = false
        var waiting = 0
        var calls = 0
    }

    private let state = Locked(State())
    private let semaphore = DispatchSemaphore(value: 0)

    /// Lookups that have started (blocked or not).
    var calls: Int { state.withLock { $0.calls } }

    /// The blocking lookup, for `Resolver(lookup:)`. Once released it fails with `.resolution`.
    func lookup(host: String, port: UInt16) -> Result<[SocketAddress], NetError> {
        let mustWait = state.withLock { state in
            state.calls += 1
            if state.open { return false }
            state.waiting += 1
            return true
        }
        if mustWait { semaphore.wait() }
        return .failure(NetError(.resolution("released by the test"), operation: "lookup", address: "\(host):\(port)"))
    }

    /// Releases every blocked lookup and lets later ones through. Safe to call more than once.
    func open() {
        let blocked = state.withLock { state in
            if state.open { return 0 }
            state.open = true
            defer { state.waiting = 0 }
            return state.waiting
        }
        for _ in 0..<blocked { semaphore.signal() }
    }
}

/// Runs `body` with a resolver whose lookups hang until the gate opens. The gate opens at the
/// end (also on failure), and the resolver must then finish every lookup. A watchdog opens it
/// after 10 s, so that a dial which waits for the lookup fails its timing check instead of
/// hanging the run.
func withHangingResolver(maxThreads: Int = Resolver.defaultMaxThreads, maxQueued: Int = Resolver.defaultMaxQueued,
                         _ body: @escaping @Sendable (LookupGate, Resolver) async throws -> Void) async throws {
    let gate = LookupGate()
    let resolver = Resolver(maxThreads: maxThreads, maxQueued: maxQueued, lookup: gate.lookup)
    let watchdog = Task {
        try? await Task.sleep(for: .seconds(10))
        gate.open()
    }
    defer {
        watchdog.cancel()
        gate.open()
    }
    try await body(gate, resolver)
    gate.open()
    try await waitUntil(within: 30) { resolver.inFlight == 0 }
}

/// `Dialer(timeout:)` bounds name resolution too, cancellation ends a pending lookup, and a
/// lookup never blocks a reactor thread.
@Suite struct DialResolutionTimeoutTests {
    @Test func lookupThatNeverAnswersEndsAtTheDialTimeout() async throws {
        try await withHangingResolver { gate, resolver in
            try await withReactorGroup { group in
                let start = ContinuousClock.now
                let error = await #expect(throws: NetError.self) {
                    _ = try await Dialer(timeout: .milliseconds(300)).dial("hang.example:80", on: group.next(), resolver: resolver)
                }
                let elapsed = ContinuousClock.now - start
                #expect(error?.isTimeout == true)
                #expect(error?.operation == "lookup")
                #expect(error?.address == "hang.example:80")
                #expect(elapsed >= .milliseconds(300))
                #expect(elapsed < .seconds(20), "the dial outlived its timeout by \(elapsed)")
                #expect(gate.calls == 1)
            }
        }
    }

    @Test func cancellingTheDialEndsAHangingLookup() async throws {
        try await withHangingResolver { gate, resolver in
            try await withReactorGroup { group in
                let reactor = group.next()
                let dial = Task { try await Dialer().dial("hang.example:80", on: reactor, resolver: resolver) }
                try await waitUntil { gate.calls == 1 }
                let start = ContinuousClock.now
                dial.cancel()
                await #expect(throws: CancellationError.self) { _ = try await dial.value }
                let elapsed = ContinuousClock.now - start
                #expect(elapsed < .seconds(20), "the cancelled dial waited \(elapsed) for its lookup")
            }
        }
    }

    @Test func reactorRunsWorkWhileALookupHangs() async throws {
        try await withHangingResolver { gate, resolver in
            try await withReactorGroup { group in
                let reactor = group.next()
                let dial = Task { try await Dialer().dial("hang.example:80", on: reactor, resolver: resolver) }
                try await waitUntil { gate.calls == 1 }
                let ranOnReactor = try await reactor.submit { reactor.isCurrent }
                #expect(ranOnReactor)
                try await reactor.sleep(for: .milliseconds(5))
                dial.cancel()
                _ = try? await dial.value
            }
        }
    }

    @Test func atMostMaxThreadsLookupsHangAndAbandonedOnesLeakNothing() async throws {
        try await withHangingResolver(maxThreads: 2) { gate, resolver in
            try await withReactorGroup { group in
                let reactor = group.next()
                try await withThrowingTaskGroup(of: Void.self) { dials in
                    for index in 0..<5 {
                        dials.addTask {
                            let error = await #expect(throws: NetError.self) {
                                // A generous timeout: the two threads must have taken their jobs before it.
                                _ = try await Dialer(timeout: .seconds(1)).dial("hang\(index).example:80", on: reactor, resolver: resolver)
                            }
                            #expect(error?.isTimeout == true)
                        }
                    }
                    try await dials.waitForAll()
                }
                #expect(gate.calls == 2, "only the pool's threads run lookups")
                #expect(resolver.inFlight == 2, "the two hung lookups still run; the queued ones were dropped")
            }
            gate.open()
            try await waitUntil { resolver.inFlight == 0 }
            #expect(gate.calls == 2, "an abandoned queued lookup never starts")
        }
    }

    @Test func fullQueueFailsAtOnce() async throws {
        try await withHangingResolver(maxThreads: 1, maxQueued: 1) { gate, resolver in
            let first = Task { try await resolver.resolve(host: "one.example", port: 80) }
            try await waitUntil { gate.calls == 1 }
            let second = Task { try await resolver.resolve(host: "two.example", port: 80) }
            try await waitUntil { resolver.inFlight == 2 }
            let error = await #expect(throws: NetError.self) { _ = try await resolver.resolve(host: "three.example", port: 80) }
            if case .resolution = error?.code {} else { Issue.record("expected .resolution, got \(String(describing: error))") }
            #expect(error?.operation == "lookup")
            #expect(error?.address == "three.example:80")
            first.cancel()
            second.cancel()
            await #expect(throws: CancellationError.self) { _ = try await first.value }
            await #expect(throws: CancellationError.self) { _ = try await second.value }
        }
    }

    @Test func manyLookupsRacingCancellationEachResumeOnce() async throws {
        let answer = try SocketAddress("127.0.0.1:80")
        let resolver = Resolver(maxThreads: 2, maxQueued: 1_000, lookup: { _, _ in .success([answer]) })
        try await withTimeout(20) {
            for round in 0..<20 {
                let lookups = (0..<50).map { index in
                    Task { try await resolver.resolve(host: "name\(round)-\(index).example", port: 80) }
                }
                for (index, lookup) in lookups.enumerated() where index % 2 == 1 { lookup.cancel() }
                for lookup in lookups {
                    do {
                        #expect(try await lookup.value == [answer])
                    } catch is CancellationError {
                        // Cancelled before its answer: resumed once, with the cancellation.
                    }
                }
            }
            try await waitUntil { resolver.inFlight == 0 }
        }
    }

    @Test func connectPhaseTimeoutNamesTheTextAndTheConnect() async throws {
        try await withReactorGroup { group in
            let hole = try await Blackhole.make(group: group)
            defer { hole.close() }
            let address = hole.address
            let resolver = Resolver(lookup: { _, _ in .success([address]) })
            let error = await #expect(throws: NetError.self) {
                _ = try await Dialer(timeout: .milliseconds(300)).dial("hole.example:80", on: group.next(), resolver: resolver)
            }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "connect")
            #expect(error?.address == "hole.example:80")
        }
    }

    @Test func dialByNameWithATimeoutStillConnects() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            async let accepted = listener.accept()
            let client = try await Dialer(timeout: .seconds(10)).dial("localhost:\(listener.address.port!)", on: group.next())
            let server = try await accepted
            #expect(client.remoteAddress == listener.address)
            listener.close()
            client.close()
            server.close()
        }
    }
}
