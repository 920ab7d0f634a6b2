import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// The callback level for proxies: `Listener.serveConnections`, the callback dial and the
/// callback relay, which drive connections on their reactor thread without a task.
@Suite struct CallbackLevelTests {
    /// Dials with the callback API on `reactor`'s thread and waits for its completion.
    static func dial(_ dialer: Dialer, _ addresses: [SocketAddress], label: String? = nil,
                     on reactor: Reactor) async -> Result<TCPConn, NetError> {
        await withCheckedContinuation { continuation in
            reactor.execute {
                dialer.dial(addresses, label: label, on: reactor) { continuation.resume(returning: $0) }
            }
        }
    }

    /// A proxy made of the three calls: every accepted client is joined to `upstream` by a
    /// callback relay; each relay's result (or the dial's error) goes to `results`.
    static func startProxy(_ group: ReactorGroup, to upstream: SocketAddress,
                           results: AsyncStream<Result<RelayResult, NetError>>.Continuation) async throws -> Listener {
        let proxy = try await Listener.listen(.loopbackIPv4(), group: group)
        proxy.serveConnections { client in
            #expect(client.reactor.isCurrent)
            Dialer(timeout: .seconds(5)).dial(upstream, on: client.reactor) { dialled in
                switch dialled {
                case .failure(let error):
                    client.close()
                    results.yield(.failure(error))
                case .success(let conn):
                    client.relay(with: conn, options: RelayOptions(splice: .off)) { result in
                        client.close()
                        conn.close()
                        results.yield(result)
                    }
                }
            }
        }
        return proxy
    }

    @Test func proxiesBothWaysWithoutATask() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let echo = try await startEchoServer(group)
            let (results, sink) = AsyncStream.makeStream(of: Result<RelayResult, NetError>.self)
            let proxy = try await Self.startProxy(group, to: echo.address, results: sink)
            let count = 3 << 20 + 11
            for round in 0..<4 {
                let client = try await Dialer().dial(proxy.address, group: group)
                async let upload: Void = {
                    try await client.write(Pattern.bytes(at: round, count: count))
                    try await client.closeWrite()
                }()
                let echoed = try await client.readAll(limit: 16 << 20)
                try await upload
                client.close()
                #expect(echoed.readableBytes == count)
                #expect(Pattern.matches(echoed, at: round))
            }
            var ended = 0
            for await result in results {
                let relay = try result.get()
                #expect(relay.forward.bytes == UInt64(count))
                #expect(relay.backward.bytes == UInt64(count))
                #expect(relay.forward.end == .endOfStream)
                #expect(relay.backward.end == .endOfStream)
                ended += 1
                if ended == 4 { break }
            }
            proxy.close()
            echo.close()
            await proxy.waitUntilClosed()
            await echo.waitUntilClosed()
        }
    }

    /// A reset from the upstream reaches the client as a reset, as with the async relay.
    @Test func resetIsPassedOn() async throws {
        try await withReactorGroup { group in
            let upstream = try await Listener.listen(.loopbackIPv4(), group: group)
            let (results, sink) = AsyncStream.makeStream(of: Result<RelayResult, NetError>.self)
            let proxy = try await Self.startProxy(group, to: upstream.address, results: sink)
            let client = try await Dialer().dial(proxy.address, group: group)
            defer { client.close() }
            let server = try await upstream.accept()
            try await client.write([1, 2, 3])
            var buffer = ByteBuffer()
            try await server.readExactly(3, into: &buffer)
            server.abort()
            await #expect {
                buffer.clear()
                _ = try await client.read(into: &buffer)
            } throws: { ($0 as? NetError)?.errno == ECONNRESET }
            var iterator = results.makeAsyncIterator()
            let relay = try #require(await iterator.next()).get()
            guard case .readFailed(let error) = relay.backward.end else {
                Issue.record("backward ended \(relay.backward.end)")
                return
            }
            #expect(error.errno == ECONNRESET)
            proxy.close()
            upstream.close()
        }
    }

    @Test func refusedDialNamesAddressAndErrno() async throws {
        try await withReactorGroup { group in
            try await withRefusingPort { port in
                let address = SocketAddress.loopbackIPv4(port: port)
                let result = await Self.dial(Dialer(), [address], on: group.next())
                guard case .failure(let error) = result else {
                    Issue.record("connected to a closed port")
                    return
                }
                #expect(error.errno == ECONNREFUSED)
                #expect(error.description == "connect tcp \(address): connection refused")
            }
        }
    }

    @Test func dialTimesOutNamingTheLabel() async throws {
        try await withReactorGroup { group in
            let hole = try await Blackhole.make(group: group)
            defer { hole.close() }
            let start = Deadline.now
            let result = await Self.dial(Dialer(timeout: .milliseconds(300)), [hole.address], label: "upstream-a", on: group.next())
            guard case .failure(let error) = result else {
                Issue.record("connected to a full backlog")
                return
            }
            #expect(error.isTimeout)
            #expect(error.operation == "connect")
            #expect(error.address == "upstream-a")
            #expect(Deadline.now - start >= .milliseconds(300))
            #expect(Deadline.now - start < .seconds(10))
        }
    }

    @Test func triesTheAddressesInOrderAndListsEveryFailure() async throws {
        try await withReactorGroup { group in
            try await withRefusingPort { first in
                try await withRefusingPort { second in
                    try await Self.triesInOrder(refused: [.loopbackIPv4(port: first), .loopbackIPv4(port: second)], group: group)
                }
            }
        }
    }

    /// The body of ``triesTheAddressesInOrderAndListsEveryFailure()``, with two refusing addresses.
    static func triesInOrder(refused: [SocketAddress], group: ReactorGroup) async throws {
        let good = try await Listener.listen(.loopbackIPv4(), group: group)
        async let accepted = good.accept()
        let connected = try await Self.dial(Dialer(), [refused[0], good.address], on: group.next()).get()
        #expect(connected.remoteAddress == good.address)
        try await accepted.close()
        connected.close()
        good.close()

        let result = await Self.dial(Dialer(), refused, label: "both", on: group.next())
        guard case .failure(let error) = result else {
            Issue.record("connected to closed ports")
            return
        }
        #expect(error.code == .dialFailed)
        #expect(error.address == "both")
        #expect(error.underlying.map(\.errno) == [ECONNREFUSED, ECONNREFUSED])
    }

    @Test func relayAcrossReactorsFailsAtOnce() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let first = try await Dialer().dial(listener.address, on: group.reactors[0])
            let second = try await Dialer().dial(listener.address, on: group.reactors[1])
            let accepted = [try await listener.accept(), try await listener.accept()]
            defer {
                ([first, second] + accepted).forEach { $0.close() }
                listener.close()
            }
            let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<RelayResult, NetError>, Never>) in
                group.reactors[0].execute {
                    first.relay(with: second) { continuation.resume(returning: $0) }
                }
            }
            guard case .failure(let error) = result else {
                Issue.record("relayed across reactors")
                return
            }
            #expect(error.errno == EINVAL)
        }
    }

    /// A connect still pending when its reactor stops completes with `.reactorStopped` and
    /// leaves no descriptor behind.
    @Test func pendingDialEndsWhenTheReactorStops() async throws {
        let holder = try ReactorGroup(count: 1, name: "hole")
        let hole = try await Blackhole.make(group: holder)
        defer { hole.close() }
        let group = try ReactorGroup(count: 1, name: "dialer")
        let reactor = group.reactors[0]
        let (results, sink) = AsyncStream.makeStream(of: Result<TCPConn, NetError>.self)
        let address = hole.address
        // Submitted from this task before the barrier below, so the reactor runs the dial
        // (and registers the attempt) before the barrier resumes us; then stop it.
        reactor.execute {
            Dialer().dial(address, on: reactor) { sink.yield($0) }
        }
        let outcome = try await withTimeout(20) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                reactor.execute { continuation.resume() }
            }
            await group.shutdown()
            var iterator = results.makeAsyncIterator()
            return await iterator.next()
        }
        guard let outcome else {
            Issue.record("the dial never completed")
            return
        }
        guard case .failure(let error) = outcome else {
            Issue.record("connected to a full backlog")
            return
        }
        #expect(error.code == .reactorStopped)
        #expect(reactor.openSocketCount == 0)
        hole.close()
        await holder.shutdown()
    }

    /// A callback dial handed to a reactor that has already stopped fails with `.shuttingDown`
    /// instead of trapping, and opens no descriptor.
    @Test func dialSubmittedAfterShutdownFailsCleanly() async throws {
        let group = try ReactorGroup(count: 1, name: "stopped")
        let reactor = group.reactors[0]
        await group.shutdown()
        let outcome = try await withTimeout(20) {
            await Self.dial(Dialer(), [.loopbackIPv4(port: 9)], on: reactor)
        }
        guard case .failure(let error) = outcome else {
            Issue.record("dialled through a stopped reactor")
            return
        }
        #expect(error.code == .shuttingDown)
        #expect(reactor.openSocketCount == 0)
    }
}
