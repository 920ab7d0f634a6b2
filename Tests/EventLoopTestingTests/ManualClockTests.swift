@testable import EventLoop
import EventLoopTesting
import Synchronization
import Testing

/// `ManualClock`: timers, deadlines, idle timeouts and reactor sleeps fire when the test moves
/// the clock, never before, and without waiting for real time.
///
/// Every test makes sure the operation it times is armed (a read parked, a sleep suspended)
/// before it moves the clock: a clock moved first would make the operation start with its
/// deadline already past and fail at once, which passes for the wrong reason.
@Suite struct ManualClockTests {
    /// Real time a test may take at most, although it moves its clock by hours: far below an
    /// hour, and far above what a loaded sanitizer run needs.
    static let realTimeBound: Duration = .seconds(60)

    /// A read of `conn` in a task of its own, returned once the read is parked on the reactor.
    static func parkedRead(_ conn: TCPConn) async throws -> Task<Int, any Error> {
        let reader = Task(executorPreference: conn.reactor) {
            var buffer = ByteBuffer(capacity: 16)
            return try await conn.read(into: &buffer)
        }
        try await waitUntil { try await isReading(conn) }
        return reader
    }

    /// True while a read of `conn` is parked.
    static func isReading(_ conn: TCPConn) async throws -> Bool {
        try await conn.reactor.submit { conn.readWait.isWaiting }
    }

    static func isTimeout(_ result: Result<Int, any Error>) -> Bool {
        guard case .failure(let error) = result else { return false }
        return (error as? NetError)?.code == .timeout
    }

    @Test func timersFireOnAdvanceInOrderNeverEarly() async throws {
        let clock = ManualClock()
        let fired = Mutex<[Int]>([])
        try await withReactorGroup(clock: clock) { group in
            let reactor = group.reactors[0]
            let start = clock.now
            for (id, seconds) in [(3, 30), (1, 10), (2, 20)] {
                reactor.schedule(at: start + .seconds(seconds)) { fired.withLock { $0.append(id) } }
            }
            let cancelled = reactor.schedule(after: .seconds(15)) { fired.withLock { $0.append(99) } }
            cancelled.cancel()
            await clock.advance(by: .milliseconds(9_999))
            #expect(fired.withLock { $0 }.isEmpty, "nothing is due before 10 s")
            await clock.advance(by: .milliseconds(1))
            #expect(fired.withLock { $0 } == [1])
            await clock.advance(to: start + .seconds(20))
            #expect(fired.withLock { $0 } == [1, 2], "a timer fires when the clock reaches it exactly")
            await clock.advance(to: start + .seconds(3600))
            #expect(fired.withLock { $0 } == [1, 2, 3])
        }
    }

    @Test func aReadDeadlineFiresOnlyWhenTheClockPassesIt() async throws {
        let clock = ManualClock()
        let began = ContinuousClock.now
        try await withReactorGroup(clock: clock) { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.server.setReadDeadline(clock.now + .seconds(30))
            await clock.advance(by: .seconds(29))
            // Not yet passed: a byte that arrives now is read, not a timeout.
            try await pair.client.write([7])
            var buffer = ByteBuffer(capacity: 16)
            #expect(try await pair.server.read(into: &buffer) == 1)
            // The next read waits (parked before the clock moves): half a second before the
            // deadline it still waits, and moving the clock to it ends it with `.timeout`.
            let pending = try await Self.parkedRead(pair.server)
            await clock.advance(by: .milliseconds(500))
            #expect(try await Self.isReading(pair.server))
            await clock.advance(by: .milliseconds(500))
            #expect(Self.isTimeout(await pending.result))
        }
        #expect(ContinuousClock.now - began < Self.realTimeBound)
    }

    @Test func anIdleTimeoutCountsFromTheLastActivity() async throws {
        let clock = ManualClock()
        try await withReactorGroup(clock: clock) { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.server.setIdleTimeout(.seconds(5))
            await clock.advance(by: .seconds(4))
            try await pair.client.write([1])
            var buffer = ByteBuffer(capacity: 16)
            #expect(try await pair.server.read(into: &buffer) == 1)  // activity: the idle time starts again
            await clock.advance(by: .seconds(4))  // 8 s since the start, 4 s since the read
            try await pair.client.write([2])
            #expect(try await pair.server.read(into: &buffer) == 1)  // activity at 8 s
            let pending = try await Self.parkedRead(pair.server)
            await clock.advance(by: .seconds(4))  // 12 s: 4 s idle, not yet 5
            #expect(try await Self.isReading(pair.server))
            await clock.advance(by: .seconds(1))  // 13 s: idle for 5 s
            #expect(Self.isTimeout(await pending.result))
        }
    }

    @Test func aReactorSleepOfAnHourEndsWhenTheClockMovesAnHour() async throws {
        let clock = ManualClock()
        let began = ContinuousClock.now
        try await withReactorGroup(clock: clock) { group in
            let reactor = group.reactors[0]
            let started = Mutex(false)
            let woke = Mutex(false)
            // The sleeper runs on the reactor that also runs this body. It sets `started` and
            // parks its timer in one run of the reactor's serial executor, so once this body
            // (on the same executor) sees `started`, the sleep is armed.
            let sleeper = Task(executorPreference: reactor) {
                started.withLock { $0 = true }
                try await reactor.sleep(for: .seconds(3600))
                woke.withLock { $0 = true }
            }
            try await waitUntil { started.withLock { $0 } }
            await clock.advance(by: .seconds(3599))
            #expect(!woke.withLock { $0 }, "an hour's sleep still sleeps after 3,599 s")
            await clock.advance(by: .seconds(1))
            try await sleeper.value
            #expect(woke.withLock { $0 })
        }
        #expect(ContinuousClock.now - began < Self.realTimeBound)
    }

    @Test func reactorsReadTheirTimeFromTheClock() async throws {
        let clock = ManualClock(start: Deadline(nanoseconds: 5_000_000_000))
        try await withReactorGroup(reactors: 2, clock: clock) { group in
            #expect(group.reactors.allSatisfy { $0.now == clock.now })
            await clock.advance(by: .seconds(2))
            #expect(group.reactors.allSatisfy { $0.now == Deadline(nanoseconds: 7_000_000_000) })
            await clock.advance(by: .seconds(-1))
            #expect(clock.now == Deadline(nanoseconds: 7_000_000_000), "time never goes back")
        }
    }
}
