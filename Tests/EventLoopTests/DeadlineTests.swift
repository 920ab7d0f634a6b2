@testable import EventLoop
import TestSupport
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// Read and write deadlines with Go's semantics, on the real clock over loopback.
/// Lower bounds are exact (never early); upper bounds are generous for a loaded machine.
@Suite struct DeadlineTests {
    static let slack: Duration = .seconds(3)

    @Test func pendingReadTimesOutAndConnectionStaysUsable() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let start = Deadline.now
            pair.client.setReadDeadline(.after(.milliseconds(150)))
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
            let elapsed = Deadline.now - start
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "read")
            #expect(elapsed >= .milliseconds(150))
            #expect(elapsed < .milliseconds(150) + Self.slack)
            // Still usable once the deadline is cleared.
            pair.client.setReadDeadline(nil)
            try await pair.server.write([7])
            #expect(try await pair.client.read(into: &buffer) == 1)
        }
    }

    @Test func pastDeadlineFailsAtOnceEvenWithDataWaiting() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            try await pair.server.write([1, 2, 3])
            pair.client.setReadDeadline(.now - .seconds(1))
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
            #expect(error?.isTimeout == true)
            pair.client.setReadDeadline(.after(.seconds(30)))
            try await pair.client.readExactly(3, into: &buffer)
            #expect(buffer.readBytes(length: 3) == [1, 2, 3])
        }
    }

    @Test func movingTheDeadlineLaterRearmsThePendingRead() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let conn = pair.client
            // The first deadline is far enough that a loaded machine still moves it before it fires.
            conn.setReadDeadline(.after(.seconds(2)))
            let reader = Task(executorPreference: conn.reactor) {
                var buffer = ByteBuffer()
                return try await conn.read(into: &buffer)
            }
            try await waitUntil { try await conn.reactor.submit { conn.readWaiter != nil } }
            let moved = Deadline.now
            conn.setReadDeadline(.after(.seconds(3)))
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.isTimeout == true)
            #expect(Deadline.now - moved >= .seconds(3))
        }
    }

    @Test func clearingTheDeadlineLetsThePendingReadWait() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let conn = pair.client
            conn.setReadDeadline(.after(.seconds(1)))
            let reader = Task(executorPreference: conn.reactor) {
                var buffer = ByteBuffer()
                return try await conn.read(into: &buffer)
            }
            try await waitUntil { try await conn.reactor.submit { conn.readWaiter != nil } }
            conn.setReadDeadline(nil)
            // Past the old deadline the read is still waiting, and data ends it normally.
            try await conn.reactor.sleep(for: .milliseconds(1_250))
            #expect(try await conn.reactor.submit { conn.readWaiter != nil })
            try await pair.server.write([5, 6])
            #expect(try await reader.value == 2)
        }
    }

    @Test func movingTheDeadlineIntoThePastEndsThePendingReadNow() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let conn = pair.client
            conn.setReadDeadline(.after(.seconds(60)))
            let reader = Task(executorPreference: conn.reactor) {
                var buffer = ByteBuffer()
                return try await conn.read(into: &buffer)
            }
            try await waitUntil { try await conn.reactor.submit { conn.readWaiter != nil } }
            conn.setReadDeadline(.now)
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.isTimeout == true)
        }
    }

    @Test func writeDeadlineEndsAWriteToAPeerThatNeverReads() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.client.setWriteDeadline(.after(.milliseconds(200)))
            let chunk = Pattern.bytes(at: 0, count: 1 << 20)
            let error = await #expect(throws: NetError.self) {
                for _ in 0..<256 { try await pair.client.write(chunk) }  // far more than the buffers hold
            }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "write")
        }
    }

    @Test func idleTimeoutEndsAnIdleReaderAndSparesAnActiveOne() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let idle = try await LoopbackPair.make(group: group)
            let active = try await LoopbackPair.make(group: group)
            defer { idle.close(); active.close() }
            idle.server.setIdleTimeout(.milliseconds(800))
            active.server.setIdleTimeout(.milliseconds(800))
            // Sender and readers run on the reactor, so a busy global pool cannot stall them.
            // The active peer sends every 25 ms for 2 s: more than two idle periods, never idle
            // for one (the period is long enough for a loaded sanitizer run).
            let sender = Task(executorPreference: reactor) {
                for _ in 0..<80 {
                    try await active.client.write([1])
                    try await reactor.sleep(for: .milliseconds(25))
                }
                try await active.client.closeWrite()
            }
            let idleReader = Task(executorPreference: reactor) {
                var buffer = ByteBuffer()
                return try await idle.server.read(into: &buffer)
            }
            let activeReader = Task(executorPreference: reactor) {
                var received = 0
                var buffer = ByteBuffer()
                while true {
                    buffer.clear()
                    let count = try await active.server.read(into: &buffer)
                    if count == 0 { return received }
                    received += count
                }
            }
            #expect(try await activeReader.value == 80)
            let error = await #expect(throws: NetError.self) { _ = try await idleReader.value }
            #expect(error?.isTimeout == true)
            try await sender.value
        }
    }
}

extension DeadlineTests {
    /// An idle timeout does not push an absolute read deadline away: the earlier one applies.
    @Test func absoluteReadDeadlineHoldsUnderIdleTimeout() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.server.setIdleTimeout(.seconds(30))
            let start = Deadline.now
            pair.server.setReadDeadline(.after(.milliseconds(400)))
            let dribbler = Task(executorPreference: reactor) {
                for _ in 0..<200 {
                    try await pair.client.write([1])
                    try await reactor.sleep(for: .milliseconds(20))
                }
            }
            let error = await #expect(throws: NetError.self) {
                var buffer = ByteBuffer()
                while true {
                    buffer.clear()
                    _ = try await pair.server.read(into: &buffer)
                }
            }
            dribbler.cancel()
            #expect(error?.isTimeout == true)
            #expect(Deadline.now - start >= .milliseconds(400))
            #expect(Deadline.now - start < .seconds(3), "the idle timeout must not extend the read deadline")
        }
    }
}

/// The loop sleeps for exactly as long as its timers allow.
@Suite(.serialized) struct ReactorSleepTests {
    @Test func idleReactorDoesNotWake() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]  // the test body runs on reactors[0]
            try await Task.sleep(for: .milliseconds(50))  // let start-up activity settle
            let before = reactor.wakeups
            try await Task.sleep(for: .milliseconds(500))  // an observation window, not a sync
            #expect(reactor.wakeups - before == 0)
        }
    }

    @Test func farTimerCausesNoWakeAndNearTimerExactlyOne() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]  // the test body runs on reactors[0]
            let far = reactor.schedule(after: .seconds(3600)) {}
            try await Task.sleep(for: .milliseconds(50))
            let before = reactor.wakeups
            try await Task.sleep(for: .milliseconds(500))
            #expect(reactor.wakeups - before == 0, "a timer an hour away must not wake the loop")
            let fired = ManagedAtomicFlag()
            reactor.schedule(after: .milliseconds(100)) { fired.set() }
            try await waitUntil { fired.isSet }
            try await Task.sleep(for: .milliseconds(100))
            // One wake for the submission (eventfd), one for the timer.
            #expect(reactor.wakeups - before <= 2)
            far.cancel()
        }
    }

    @Test func sleepOnTheReactorIsNeverEarlyAndCancellable() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]  // the test body runs on reactors[0]
            let start = Deadline.now
            try await reactor.sleep(for: .milliseconds(120))
            #expect(Deadline.now - start >= .milliseconds(120))
            let sleeper = Task { try await reactor.sleep(for: .seconds(60)) }
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
    }
}

/// A flag set on one thread and read on another.
final class ManagedAtomicFlag: Sendable {
    private let value = Synchronization.Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
