@testable import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// Work started after `shutdown()` has begun fails at once with `.shuttingDown`: nothing hangs,
/// nothing is queued onto the dying reactor, nothing traps, no descriptor leaks.
@Suite struct ShutdownTests {
    static func isShutdownError(_ error: any Error) -> Bool {
        guard let error = error as? NetError else { return false }
        return error.code == .shuttingDown || error.code == .reactorStopped
    }

    @Test func scheduleAfterShutdownIsRefusedAndNeverRuns() async throws {
        let group = try ReactorGroup(count: 1, name: "shutdown")
        await group.shutdown()
        let reactor = group.reactors[0]
        let ran = ShutdownCounter()
        let timer = reactor.schedule(after: .milliseconds(10)) { ran.increment() }
        let atDeadline = reactor.schedule(at: reactor.now) { ran.increment() }
        #expect(timer.refusal?.code == .shuttingDown)
        #expect(atDeadline.refusal?.code == .shuttingDown)
        timer.cancel()
        #expect(ran.value == 0)
        #expect(reactor.wheel.isEmpty)
    }

    @Test func newWorkAfterShutdownFailsWithShuttingDown() async throws {
        let group = try ReactorGroup(count: 1, name: "shutdown")
        await group.shutdown()
        let reactor = group.reactors[0]
        #expect(reactor.isShuttingDown)
        try await withTimeout(30) {
            await #expect(throws: NetError(.shuttingDown, operation: "sleep")) { try await reactor.sleep(for: .milliseconds(5)) }
            await #expect(throws: NetError(.shuttingDown, operation: "submit")) { try await reactor.submit { 1 } }
            await #expect(throws: NetError(.shuttingDown, operation: "connect", network: .tcp, remote: .loopbackIPv4(port: 9))) {
                try await Dialer().dial(SocketAddress.loopbackIPv4(port: 9), on: reactor)
            }
            await #expect(throws: NetError(.shuttingDown, operation: "listen", network: .tcp, local: .loopbackIPv4())) {
                try await Listener.listen(SocketAddress.loopbackIPv4(), group: group)
            }
            let completed = Locked<Result<TCPConn, NetError>?>(nil)
            Dialer().dial(SocketAddress.loopbackIPv4(port: 9), on: reactor) { result in completed.withLock { $0 = result } }
            if case .failure(let error) = completed.withLock({ $0 }) {
                #expect(error.code == .shuttingDown)
            } else {
                Issue.record("the callback dial did not fail at once")
            }
        }
        #expect(group.openSocketCount == 0)
    }

    @Test func acceptAfterShutdownAndPendingAcceptsFailTyped() async throws {
        let group = try ReactorGroup(count: 1, name: "shutdown")
        let listener = try await Listener.listen(SocketAddress.loopbackIPv4(), group: group)
        let pending = Task { try await listener.accept() }
        let closedListener = try await Listener.listen(SocketAddress.loopbackIPv4(), group: group)
        let pendingOnClosed = Task { try await closedListener.accept() }
        try await waitUntil { closedListener.state.withLock { !$0.waiters.isEmpty } }
        closedListener.close()
        await #expect(throws: NetError(.closed, operation: "accept", network: .tcp, local: closedListener.address)) {
            try await pendingOnClosed.value
        }
        await group.shutdown()
        try await withTimeout(30) {
            do {
                _ = try await pending.value
                Issue.record("an accept pending at shutdown returned a connection")
            } catch let error as NetError {
                #expect(error.code == .closed || error.code == .shuttingDown)
            }
            await #expect(throws: NetError(.shuttingDown, operation: "accept", network: .tcp, local: listener.address)) {
                try await listener.accept()
            }
        }
        #expect(group.openSocketCount == 0)
    }

    /// Tasks sleeping in a loop on the reactor (and one off it) while the group shuts down end
    /// with a typed error within a bound: none traps, none is left asleep on the dead wheel.
    @Test func sleepLoopRacingShutdownEndsCleanly() async throws {
        for round in 0..<100 {
            let group = try ReactorGroup(count: 1, name: "shutdown")
            let reactor = group.reactors[0]
            let started = ShutdownCounter()
            let finished = ShutdownCounter()
            let slept = ShutdownCounter()
            let errors = Locked<[any Error]>([])
            let body: @Sendable () async -> Void = {
                defer { finished.increment() }
                started.increment()
                do {
                    while true {
                        try await reactor.sleep(for: .milliseconds(1))
                        slept.increment()
                    }
                } catch {
                    errors.withLock { $0.append(error) }
                }
            }
            // Mostly tasks off the reactor: each sleep hops onto it, and a hop that lands while
            // the shutdown drains used to arm a timer on the already emptied wheel.
            let sleepers = (0..<2).map { _ in Task(executorPreference: reactor) { await body() } }
                + (0..<8).map { _ in Task { await body() } }
            try await waitUntil { started.value == sleepers.count && slept.value >= 2 * sleepers.count }
            await group.shutdown()
            do {
                // Polled, not awaited: a sleeper that never ends must fail the test, not hang it.
                try await waitUntil(within: 30) { finished.value == sleepers.count }
            } catch is TimeoutError {
                Issue.record("round \(round): \(sleepers.count - finished.value) sleeper(s) still asleep 5 s after shutdown")
                sleepers.forEach { $0.cancel() }
                return
            }
            for error in errors.withLock({ $0 }) { #expect(Self.isShutdownError(error), "round \(round): \(error)") }
            #expect(reactor.wheel.isEmpty)
        }
    }

    /// Dials looping against a listener of the same group while it shuts down: every dial ends
    /// within a bound after `shutdown()` returned, and no descriptor is left open.
    @Test func dialsRacingShutdownNeverHangOrLeak() async throws {
        for round in 0..<60 {
            let group = try ReactorGroup(count: 2, name: "shutdown")
            let listener = try await Listener.listen(SocketAddress.loopbackIPv4(), group: group)
            Task {
                await listener.serve { conn in
                    var buffer = ByteBuffer(capacity: 16)
                    _ = try? await conn.read(into: &buffer)
                }
            }
            let address = listener.address
            let connected = ShutdownCounter()
            let finished = ShutdownCounter()
            let errors = Locked<[any Error]>([])
            let dialers = (0..<6).map { index in
                Task {
                    defer { finished.increment() }
                    let reactor = group.reactors[index % 2]
                    do {
                        while true {
                            let conn = try await Dialer().dial(address, on: reactor)
                            connected.increment()
                            conn.close()
                        }
                    } catch {
                        errors.withLock { $0.append(error) }
                    }
                }
            }
            try await waitUntil { connected.value >= 12 }
            await group.shutdown()
            do {
                // Polled, not awaited: a dial that never ends must fail the test, not hang it.
                try await waitUntil(within: 30) { finished.value == dialers.count }
            } catch is TimeoutError {
                Issue.record("round \(round): \(dialers.count - finished.value) dial(s) still pending 5 s after shutdown returned")
                dialers.forEach { $0.cancel() }
                return
            }
            // The listener is on the same group, so a handshake cut by its shutdown may also be
            // refused or reset: any typed error is fine, a hang or a leak is not.
            for error in errors.withLock({ $0 }) {
                #expect(Self.isShutdownError(error) || (error as? NetError)?.errno != nil, "round \(round): \(error)")
            }
            #expect(group.openSocketCount == 0, "round \(round): \(group.openSocketCount) socket(s) left open")
            listener.close()
        }
    }

    /// A task that keeps yielding on the reactor cannot hold the shutdown: the drain lets it run
    /// for at most `shutdownDrainNanoseconds`, then it goes on off the reactor until it stops.
    @Test func aTaskThatKeepsYieldingDoesNotHoldTheShutdown() async throws {
        let group = try ReactorGroup(count: 1, name: "shutdown")
        let reactor = group.reactors[0]
        let stop = Locked<Bool>(false)
        let turns = ShutdownCounter()
        let spinner = Task(executorPreference: reactor) {
            while !stop.withLock({ $0 }) {
                turns.increment()
                await Task.yield()
            }
        }
        try await waitUntil { turns.value > 100 }
        let start = ContinuousClock.now
        let finished = ShutdownCounter()
        Task {
            await group.shutdown()
            finished.increment()
        }
        // Polled, not awaited: a shutdown that never returns must fail the test, not hang it.
        let returned = (try? await waitUntil(within: 30) { finished.value == 1 }) != nil
        stop.withLock { $0 = true }
        #expect(returned, "shutdown() did not return while a task kept yielding")
        #expect(ContinuousClock.now - start < .seconds(10))
        try await withTimeout(30) { await spinner.value }
        #expect(ReactorGroup.liveReactorThreads >= 0)
        #expect(reactor.isStopped)
    }

    /// 200 idle connections, both ends in the process: shutdown returns within the bound and
    /// closes every descriptor. (Measured figures are in Docs/Architecture.md.)
    @Test func shutdownWithTwoHundredIdleConnectionsIsBoundedAndClosesEverything() async throws {
        _ = fileLimitRaised
        let group = try ReactorGroup(count: 2, name: "shutdown")
        let listener = try await Listener.listen(SocketAddress.loopbackIPv4(), group: group)
        let served = ShutdownCounter()
        Task {
            await listener.serve { conn in
                served.increment()
                var buffer = ByteBuffer(capacity: 64)
                _ = try? await conn.read(into: &buffer)
            }
        }
        var clients: [TCPConn] = []
        for _ in 0..<200 { clients.append(try await Dialer().dial(listener.address, group: group)) }
        try await waitUntil(within: 30) { served.value == 200 }
        #expect(group.openSocketCount >= 400)
        let start = ContinuousClock.now
        try await withTimeout(30) { await group.shutdown() }
        let elapsed = ContinuousClock.now - start
        print("shutdown with 200 idle connections (400 sockets, 2 reactors): \(elapsed)")
        #expect(elapsed < .seconds(30))
        #expect(group.openSocketCount == 0)
        #expect(ReactorGroup.liveReactorThreads >= 0)
        for client in clients {
            await #expect(throws: NetError.self) { _ = try await client.write(ByteBuffer(bytes: [1])) }
        }
        listener.close()
    }
}

/// A counter shared with tasks and callbacks.
final class ShutdownCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}
