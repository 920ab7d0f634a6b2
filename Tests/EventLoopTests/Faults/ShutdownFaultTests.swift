@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// `ReactorGroup.shutdown()` while a call is held in a rare state that only the fault seam
/// produces on demand: an accept loop backing off from EMFILE, a write parked on EAGAIN (after
/// a short send or not), a read whose next recv is reset. Shutdown returns within a bound, the
/// pending call ends once with a typed error, and nothing is left open.
@Suite struct ShutdownFaultTests {
    /// A generous bound for `shutdown()` on a loaded 2-core machine (it takes milliseconds).
    static let shutdownBound = Duration.seconds(5)

    /// Shuts `group` down and returns how long it took; throws ``TimeoutError`` past 10 s
    /// (polled, not awaited: a shutdown that never returns must fail the test, not hang it).
    static func timedShutdown(_ group: ReactorGroup) async throws -> Duration {
        let start = ContinuousClock.now
        let returned = ShutdownCounter()
        Task {
            await group.shutdown()
            returned.increment()
        }
        try await waitUntil(within: 30) { returned.value == 1 }
        return ContinuousClock.now - start
    }

    /// True once `conn` has a read (or a write) suspended, waiting for readiness.
    static func isParked(_ conn: TCPConn, writing: Bool) async throws -> Bool {
        try await conn.reactor.submit { writing ? conn.writeWait.isWaiting : conn.readWait.isWaiting }
    }

    @Test func shutdownWhileTheAcceptLoopBacksOffFromEMFILE() async throws {
        let group = try ReactorGroup(count: 2, name: "seam")
        let reactor = group.reactors[1]
        let listener = try await Listener.listen(.loopbackIPv4(), on: reactor)
        let address = listener.address
        try await FaultInjection.withFaults { faults in
            // Counts this reactor's accept4 calls (`matched` also counts other threads' calls on
            // the same number, which is another test's socket once this one is closed).
            let accepts = ShutdownCounter()
            let storm = faults.install(.onReactor(reactor, .accept, fd: AcceptBackoffTests.listeningFD(listener), .fail(EMFILE)) { _ in
                accepts.increment()
                return true
            })
            let pending = Task { try await listener.accept() }
            try await waitUntil { listener.state.withLock { !$0.waiters.isEmpty } }
            let wakeupsBefore = reactor.wakeups
            let start = ContinuousClock.now
            // The connection stays in the kernel's backlog while every accept4 fails.
            let client = try await Dialer().dial(address, on: group.reactors[0])
            defer { client.close() }
            // Each failure is counted once the acceptor has handled it (and begun its backoff).
            try await waitUntil(within: 20) { listener.resourceFailures >= 3 }
            let hits = accepts.value
            #expect(reactor.wakeups - wakeupsBefore <= UInt64(3 * hits + 10), "the accept loop spins")
            AcceptBackoffTests.expectBackoff(hits: hits, since: start)

            let elapsed = try await Self.timedShutdown(group)
            #expect(elapsed < Self.shutdownBound, "shutdown took \(elapsed) during an accept backoff")
            // The shutdown closed the listening socket under the pending call (see accept()).
            await #expect(throws: NetError(.closed, operation: "accept", network: .tcp, local: address)) {
                try await value(of: pending)
            }
            await #expect(throws: NetError(.shuttingDown, operation: "accept", network: .tcp, local: address)) {
                try await listener.accept()
            }
            // Every accept4 on the reactor until it stopped was failed by the storm.
            #expect(faults.hits(storm) == accepts.value)
        }
        listener.close()
        try await LeakCheck.expectNoLeaks(group)
    }

    @Test(arguments: [false, true])
    func shutdownWhileAWriteIsParkedOnEAGAIN(shortSendFirst: Bool) async throws {
        let group = try ReactorGroup(count: 1, name: "seam")
        let reactor = group.reactors[0]
        let pair = try await LoopbackPair.make(group: group)
        defer { pair.close() }
        let peer = try #require(pair.client.remoteAddress)
        let size = 256 * 1024
        try await FaultInjection.withFaults { faults in
            let writes = FaultInjection.Call.streamWrite
            let fd = pair.client.socket.fd
            let short = faults.install(.onReactor(reactor, writes, fd: fd, .limit(1000)) { shortSendFirst && $0 == 1 })
            let blocked = faults.install(.onReactor(reactor, writes, fd: fd, .fail(EAGAIN)) { !shortSendFirst || $0 > 1 })
            let writer = Task { try await pair.client.write(Pattern.bytes(at: 0, count: size)) }
            try await waitUntil { faults.hits(short) + faults.hits(blocked) >= 1 }
            if shortSendFirst {
                // An event on the socket (the peer's byte) makes the write try again: EAGAIN.
                try await pair.server.write(ByteBuffer(bytes: [0x2A]))
                try await waitUntil { faults.hits(blocked) >= 1 }
            }
            try await waitUntil(within: 20) { try await Self.isParked(pair.client, writing: true) }
            #expect(faults.hits(short) == (shortSendFirst ? 1 : 0))
            #expect(faults.hits(blocked) >= 1)
            #expect(pair.client.stats.bytesWritten == (shortSendFirst ? 1000 : 0))

            let elapsed = try await Self.timedShutdown(group)
            #expect(elapsed < Self.shutdownBound, "shutdown took \(elapsed) with a parked write")
            let error = await #expect(throws: NetError.self) { try await value(of: writer) }
            #expect(error?.code == .reactorStopped, "\(String(describing: error))")
            #expect(error?.operation == "write")
            #expect(error?.description.contains(peer.description) == true)
        }
        try await LeakCheck.expectNoLeaks(group)
    }

    /// The reset reaches the parked read first, then the shutdown closes everything: the read
    /// was resumed once, by the reset, and the shutdown finds nothing left to resume.
    @Test func resetOfAParkedReadThenShutdown() async throws {
        let group = try ReactorGroup(count: 1, name: "seam")
        let reactor = group.reactors[0]
        let pair = try await LoopbackPair.make(group: group)
        defer { pair.close() }
        try await FaultInjection.withFaults { faults in
            let reader = Task { () async throws -> Int in
                var buffer = ByteBuffer()
                return try await pair.server.read(into: &buffer)
            }
            // Installed once the read is parked (its first recv found nothing): the next recv,
            // the one the peer's bytes bring, is reset.
            try await waitUntil(within: 20) { try await Self.isParked(pair.server, writing: false) }
            let reset = faults.install(.onReactor(reactor, .recv, fd: pair.server.socket.fd, .fail(ECONNRESET)) { $0 == 1 })
            try await pair.client.write(ByteBuffer(bytes: [1, 2, 3]))
            let error = await #expect(throws: NetError.self) { try await value(of: reader) }
            #expect(error?.errno == ECONNRESET)
            #expect(faults.hits(reset) == 1)
            let elapsed = try await Self.timedShutdown(group)
            #expect(elapsed < Self.shutdownBound)
            var buffer = ByteBuffer()
            await #expect(throws: NetError.self) { _ = try await pair.server.read(into: &buffer) }
        }
        try await LeakCheck.expectNoLeaks(group)
    }

    /// The peer's bytes (whose recv is reset) and the shutdown race: whichever reaches the
    /// parked read first ends it, once, with a typed error (the reset, or `.reactorStopped`);
    /// the other finds nothing to resume. Many rounds, to meet both orders.
    @Test func resetAndShutdownRaceForAParkedRead() async throws {
        var resets = 0
        var stops = 0
        for round in 0..<30 {
            let group = try ReactorGroup(count: 2, name: "seam")
            let pair = try await LoopbackPair.make(group: group)
            let reactor = pair.server.reactor
            try await FaultInjection.withFaults { faults in
                let readerEnded = Locked<String?>(nil)
                let reader = Task { () async throws -> Int in
                    var buffer = ByteBuffer()
                    do {
                        let count = try await pair.server.read(into: &buffer)
                        readerEnded.withLock { $0 = "returned \(count)" }
                        return count
                    } catch {
                        readerEnded.withLock { $0 = "threw \(error)" }
                        throw error
                    }
                }
                do {
                    try await waitUntil(within: 20) { try await Self.isParked(pair.server, writing: false) }
                } catch let error as TimeoutError {
                    Issue.record("round \(round): the read did not park (\(readerEnded.withLock { $0 } ?? "still running"))")
                    throw error
                }
                let reset = faults.install(.onReactor(reactor, .recv, fd: pair.server.socket.fd, .fail(ECONNRESET)) { $0 == 1 })
                async let poke: Void = { try? await pair.client.write(ByteBuffer(bytes: [1, 2, 3])) }()
                let elapsed = try await Self.timedShutdown(group)
                await poke
                #expect(elapsed < Self.shutdownBound, "round \(round): shutdown took \(elapsed)")
                let ending = try await outcome(of: reader)
                switch ending {
                case .success(let count):
                    Issue.record("round \(round): the read returned \(count) byte(s) instead of failing")
                case .failure(let error as NetError) where error.errno == ECONNRESET:
                    #expect(faults.hits(reset) == 1)
                    resets += 1
                case .failure(let error as NetError) where error.code == .reactorStopped:
                    #expect(error.operation == "read")
                    stops += 1
                case .failure(let error):
                    Issue.record("round \(round): unexpected \(error)")
                }
            }
            pair.close()
            try await LeakCheck.expectNoLeaks(group)
        }
        print("parked read against shutdown: \(resets) reset first, \(stops) stopped first")
        #expect(resets + stops == 30)
    }
}
