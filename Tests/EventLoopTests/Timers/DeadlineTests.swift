@testable import EventLoop
import TestSupport
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// Read and write deadlines with Go's semantics, on the real clock over loopback.
/// Lower bounds are exact (never early); upper bounds are generous for a loaded machine.
@Suite struct DeadlineTests {
    static let slack: Duration = .seconds(10)

    /// A read of `conn` in a task on its reactor, returned once the read is parked.
    static func parkedRead(_ conn: TCPConn) async throws -> Task<Int, any Error> {
        let reader = Task(executorPreference: conn.reactor) {
            var buffer = ByteBuffer()
            return try await conn.read(into: &buffer)
        }
        try await waitUntil { try await isReading(conn) }
        return reader
    }

    /// True while a read of `conn` is parked.
    static func isReading(_ conn: TCPConn) async throws -> Bool {
        try await conn.reactor.submit { conn.readWait.isWaiting }
    }

    /// True when the kernel holds bytes for `conn` to read (a poll with no wait).
    static func hasBytesWaiting(_ conn: TCPConn) async throws -> Bool {
        try await conn.reactor.submit {
            var descriptor = pollfd(fd: conn.socket.fd, events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, 0) == 1
        }
    }

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
            try await waitUntil { try await Self.hasBytesWaiting(pair.client) }
            pair.client.setReadDeadline(.now - .seconds(1))
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "read")
            #expect(buffer.readableBytes == 0, "the timed-out read took nothing")
            pair.client.setReadDeadline(.after(.seconds(30)))
            try await pair.client.readExactly(3, into: &buffer)
            #expect(buffer.readBytes(length: 3) == [1, 2, 3])
        }
    }

    /// On a manual clock, so that no real-time margin decides whether the move comes first.
    @Test func movingTheDeadlineLaterRearmsThePendingRead() async throws {
        let clock = ManualClock()
        try await withReactorGroup(clock: clock) { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let conn = pair.client
            let start = clock.now
            conn.setReadDeadline(start + .seconds(2))
            let reader = try await Self.parkedRead(conn)
            conn.setReadDeadline(start + .seconds(3))
            await clock.advance(to: start + .seconds(2))
            #expect(try await Self.isReading(conn), "the old deadline passed: the read still waits")
            await clock.advance(to: start + .milliseconds(2_999))
            #expect(try await Self.isReading(conn))
            await clock.advance(to: start + .seconds(3))
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.isTimeout == true)
        }
    }

    @Test func clearingTheDeadlineLetsThePendingReadWait() async throws {
        let clock = ManualClock()
        try await withReactorGroup(clock: clock) { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let conn = pair.client
            conn.setReadDeadline(clock.now + .seconds(1))
            let reader = try await Self.parkedRead(conn)
            conn.setReadDeadline(nil)
            // An hour past the old deadline the read is still waiting, and data ends it normally.
            await clock.advance(by: .seconds(3600))
            #expect(try await Self.isReading(conn))
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
            let reader = try await Self.parkedRead(conn)
            conn.setReadDeadline(.now)
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "read")
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

    /// On a manual clock: the active connection has activity every 400 ms for 2.4 s (three
    /// idle periods), the idle one none; no real-time margin is involved.
    @Test func idleTimeoutEndsAnIdleReaderAndSparesAnActiveOne() async throws {
        let clock = ManualClock()
        try await withReactorGroup(clock: clock) { group in
            let idle = try await LoopbackPair.make(group: group)
            let active = try await LoopbackPair.make(group: group)
            defer { idle.close(); active.close() }
            idle.server.setIdleTimeout(.milliseconds(800))
            active.server.setIdleTimeout(.milliseconds(800))
            let idleReader = try await Self.parkedRead(idle.server)
            var buffer = ByteBuffer()
            for step in 1...6 {
                await clock.advance(by: .milliseconds(400))
                try await active.client.write([UInt8(step)])
                buffer.clear()
                #expect(try await active.server.read(into: &buffer) == 1, "step \(step)")
                if step == 1 { #expect(try await Self.isReading(idle.server), "400 ms idle: not yet timed out") }
            }
            let error = await #expect(throws: NetError.self) { _ = try await idleReader.value }
            #expect(error?.isTimeout == true)
            // Once the active one falls quiet it times out too, 800 ms after its last read.
            let activeReader = try await Self.parkedRead(active.server)
            await clock.advance(by: .milliseconds(799))
            #expect(try await Self.isReading(active.server))
            await clock.advance(by: .milliseconds(1))
            let activeError = await #expect(throws: NetError.self) { _ = try await activeReader.value }
            #expect(activeError?.isTimeout == true)
        }
    }
}

extension DeadlineTests {
    /// An idle timeout does not push an absolute read deadline away: the earlier one applies.
    /// On a manual clock: a byte every 100 ms keeps the connection active, and the read
    /// still times out at the 400 ms deadline.
    @Test func absoluteReadDeadlineHoldsUnderIdleTimeout() async throws {
        let clock = ManualClock()
        try await withReactorGroup(clock: clock) { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let start = clock.now
            pair.server.setIdleTimeout(.seconds(30))
            pair.server.setReadDeadline(start + .milliseconds(400))
            var buffer = ByteBuffer()
            for step in 1...3 {
                await clock.advance(by: .milliseconds(100))
                try await pair.client.write([UInt8(step)])
                buffer.clear()
                #expect(try await pair.server.read(into: &buffer) == 1)
            }
            let reader = try await Self.parkedRead(pair.server)  // 300 ms: activity just now
            await clock.advance(by: .milliseconds(100))
            let error = await #expect(throws: NetError.self) { _ = try await reader.value }
            #expect(error?.isTimeout == true, "the idle timeout must not extend the read deadline")
            #expect(clock.now - start == .milliseconds(400))
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
            // Parked before it is cancelled: the flag is set and the timer armed in one run on
            // the reactor's serial executor, and `submit` reads the flag after that run.
            let started = ManagedAtomicFlag()
            let sleeper = Task(executorPreference: reactor) {
                started.set()
                try await reactor.sleep(for: .seconds(60))
            }
            try await waitUntil { try await reactor.submit { started.isSet } }
            let cancelled = Deadline.now
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            #expect(Deadline.now - cancelled < .seconds(30), "cancellation ended the sleep, not its timer")
        }
    }
}

/// A flag set on one thread and read on another.
final class ManagedAtomicFlag: Sendable {
    private let value = Synchronization.Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
