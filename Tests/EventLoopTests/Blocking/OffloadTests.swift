@testable import EventLoop
import Dispatch
import EventLoopTesting
import Synchronization
import Testing

/// A gate blocking pool threads until opened (at most `seconds`, so a failing test ends).
final class ThreadGate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let opened = Atomic<Bool>(false)
    func wait(seconds: Int = 20) { _ = semaphore.wait(timeout: .now() + .seconds(seconds)) }
    /// Lets every waiter (up to `waiters`) through.
    func open(waiters: Int) {
        opened.store(true, ordering: .releasing)
        for _ in 0..<waiters { semaphore.signal() }
    }
}

struct OffloadFailure: Error, Equatable {}

/// `offload` runs blocking work off the reactor threads on a bounded pool, returns its value
/// or rethrows, resumes the caller on its reactor, and applies back-pressure when full.
@Suite struct OffloadTests {
    @Test func runsOffTheReactorAndResumesOnIt() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[0]
            #expect(reactor.isCurrent)
            let onAReactor = try await reactor.offload { group.reactors.contains { $0.isCurrent } }
            #expect(!onAReactor, "the closure ran on a pool thread")
            #expect(reactor.isCurrent, "the caller resumed on its reactor")
            let value = try await group.runBlocking { 6 * 7 }
            #expect(value == 42)
            #expect(reactor.isCurrent)
            await #expect(throws: OffloadFailure.self) { try await reactor.offload { throw OffloadFailure() } }
            #expect(reactor.isCurrent)
        }
    }

    @Test func theReactorKeepsWorkingWhileAnOffloadBlocks() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let gate = ThreadGate()
            let blocked = Task(executorPreference: reactor) { try await reactor.offload { gate.wait(); return 1 } }
            try await waitUntil { reactor.offloadsInFlight == 1 }
            // The reactor still runs other work meanwhile.
            let other = try await reactor.submit { 2 }
            #expect(other == 2)
            gate.open(waiters: 1)
            #expect(try await blocked.value == 1)
        }
    }

    /// One thread, one queue place: the third caller waits for room instead of queueing.
    @Test func aFullPoolMakesTheCallerWait() async throws {
        let group = try ReactorGroup(count: 1, name: "offload", offloadLimits: OffloadLimits(maxThreads: 1, maxQueued: 1))
        let reactor = group.reactors[0]
        let gate = ThreadGate()
        try await withTimeout(30) {
            let running = Task { try await reactor.offload { gate.wait(); return 1 } }
            try await waitUntil { reactor.offloadsInFlight == 1 }
            let queued = Task { try await reactor.offload { 2 } }
            try await waitUntil { reactor.offloadsInFlight == 2 }
            let waiting = Task { try await reactor.offload { 3 } }
            try await waitUntil { reactor.offloadsWaitingForRoom == 1 }
            #expect(reactor.offloadsInFlight == 2, "the waiting caller's closure is not queued: the queue stays bounded")
            gate.open(waiters: 1)
            #expect(try await running.value == 1)
            #expect(try await queued.value == 2)
            #expect(try await waiting.value == 3)
            #expect(reactor.offloadsWaitingForRoom == 0)
        }
        try await LeakCheck.expectNoLeaks(group)
    }

    /// A shutdown does not wait for blocked offloads, and they still complete afterwards.
    @Test func shutdownWithOffloadsInFlightNeitherHangsNorLoses() async throws {
        let group = try ReactorGroup(count: 1, name: "offload")
        let reactor = group.reactors[0]
        let gate = ThreadGate()
        try await withTimeout(30) {
            let inFlight = (0..<3).map { index in
                Task(executorPreference: reactor) { try await reactor.offload { gate.wait(); return index } }
            }
            try await waitUntil { reactor.offloadsInFlight == 3 }
            await group.shutdown()
            await #expect(throws: NetError.self) { try await reactor.offload { 0 } }
            gate.open(waiters: 3)
            var values: [Int] = []
            for task in inFlight { values.append(try await task.value) }
            #expect(values == [0, 1, 2])
            try await waitUntil { reactor.offloadsInFlight == 0 }
        }
        try await LeakCheck.expectNoLeaks(group)
    }
}
