import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// `TCPConn.relay(with:)` and `copy(to:)`: two loopback pairs joined in the middle, as a proxy
/// joins a client and an upstream: `left.client → [left.server ⇄ right.client] → right.server`.
@Suite struct RelayTests {
    /// Both pairs, joined by a relay that runs in a task; its result is the task's value.
    struct Joined {
        let left: LoopbackPair
        let right: LoopbackPair
        let relay: Task<RelayResult, any Error>

        func close() {
            left.close()
            right.close()
        }
    }

    static func join(_ group: ReactorGroup, options: RelayOptions) async throws -> Joined {
        let left = try await LoopbackPair.make(group: group)
        let right = try await LoopbackPair.make(group: group)
        let relay = Task(executorPreference: group.reactors[0]) {
            try await left.server.relay(with: right.client, options: options)
        }
        return Joined(left: left, right: right, relay: relay)
    }

    @Test(arguments: SpliceMode.allCases)
    func bothWaysIntact(splice: SpliceMode) async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions(splice: splice))
            defer { joined.close() }
            let upCount = 6 << 20
            let downCount = 3 << 20 + 17
            async let upload: Void = {
                try await joined.left.client.write(Pattern.bytes(at: 0, count: upCount))
                try await joined.left.client.closeWrite()
            }()
            async let received = joined.right.server.readAll(limit: 64 << 20)
            let atServer = try await received
            try await upload
            #expect(atServer.readableBytes == upCount)
            #expect(Pattern.matches(atServer, at: 0))
            // The upload's end arrived as a half-close; the other direction still works.
            async let download: Void = {
                try await joined.right.server.write(Pattern.bytes(at: 5, count: downCount))
                try await joined.right.server.closeWrite()
            }()
            let atClient = try await joined.left.client.readAll(limit: 64 << 20)
            try await download
            #expect(atClient.readableBytes == downCount)
            #expect(Pattern.matches(atClient, at: 5))
            let result = try await joined.relay.value
            #expect(result.forward.bytes == UInt64(upCount))
            #expect(result.forward.end == .endOfStream)
            #expect(result.backward.bytes == UInt64(downCount))
            #expect(result.backward.end == .endOfStream)
            // The client's stream ended first.
            #expect(result.forward.endedFirst && !result.backward.endedFirst)
            // Both streams ended: the relay has closed its two connections itself.
            #expect(!joined.left.server.socket.isOpen)
            #expect(!joined.right.client.socket.isOpen)
            switch splice {
            case .off: #expect(result.forward.splicedBytes == 0)
            case .on: #expect(result.forward.splicedBytes == UInt64(upCount))
            case .auto: #expect(result.forward.splicedBytes <= UInt64(upCount))
            }
        }
    }

    /// When the far side ends its stream first, the result says so (`backward.endedFirst`).
    @Test func theSideThatClosedFirstIsReported() async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions())
            defer { joined.close() }
            try await joined.right.server.write(Array("bye".utf8))
            try await joined.right.server.closeWrite()
            let atClient = try await joined.left.client.readAll(limit: 1024)
            #expect(atClient.readableBytes == 3)
            try await joined.left.client.closeWrite()
            let result = try await joined.relay.value
            #expect(result.backward.end == .endOfStream && result.forward.end == .endOfStream)
            #expect(result.backward.endedFirst && !result.forward.endedFirst)
        }
    }

    @Test func smallExchangesStayInBuffersInAutoMode() async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions(splice: .auto))
            defer { joined.close() }
            var buffer = ByteBuffer()
            for round in 0..<200 {
                try await joined.left.client.write(Array("ping \(round)\n".utf8))
                buffer.clear()
                try await joined.right.server.readExactly(("ping \(round)\n").utf8.count, into: &buffer)
                try await joined.right.server.write(buffer)
                buffer.clear()
                try await joined.left.client.readExactly(("ping \(round)\n").utf8.count, into: &buffer)
                #expect(buffer.readString(length: buffer.readableBytes) == "ping \(round)\n")
            }
            try await joined.left.client.closeWrite()
            try await joined.right.server.closeWrite()
            let result = try await joined.relay.value
            #expect(result.forward.splicedBytes == 0)
            #expect(result.backward.splicedBytes == 0)
        }
    }

    /// A reset on one side closes the other with a reset too, so its peer sees ECONNRESET
    /// rather than a clean end of stream.
    @Test func resetIsPassedOn() async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions())
            defer { joined.close() }
            try await joined.left.client.write([1, 2, 3])
            var buffer = ByteBuffer()
            try await joined.right.server.readExactly(3, into: &buffer)
            joined.right.server.abort()
            let result = try await joined.relay.value
            guard case .readFailed(let error) = result.backward.end else {
                Issue.record("backward ended \(result.backward.end)")
                return
            }
            #expect(error.errno == ECONNRESET)
            await #expect {
                buffer.clear()
                _ = try await joined.left.client.read(into: &buffer)
            } throws: { ($0 as? NetError)?.errno == ECONNRESET }
        }
    }

    @Test func withoutPassingResetsTheOtherSideSeesEndOfStream() async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions(passResetOn: false))
            defer { joined.close() }
            joined.right.server.abort()
            _ = try await joined.relay.value
            var buffer = ByteBuffer()
            #expect(try await joined.left.client.read(into: &buffer) == 0)
        }
    }

    @Test func idleTimeoutEndsTheRelay() async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions(idleTimeout: .milliseconds(150)))
            defer { joined.close() }
            try await joined.left.client.write([7])
            var buffer = ByteBuffer()
            try await joined.right.server.readExactly(1, into: &buffer)
            let result = try await joined.relay.value
            #expect(result.forward.end == .timedOut)
            #expect(result.backward.end == .timedOut)
            #expect(result.forward.bytes == 1)
        }
    }

    @Test func cancellationStopsBothDirections() async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions())
            defer { joined.close() }
            try await joined.left.client.write([7])
            var buffer = ByteBuffer()
            try await joined.right.server.readExactly(1, into: &buffer)
            joined.relay.cancel()
            let result = try await joined.relay.value
            #expect(result.forward.end == .cancelled)
            #expect(result.backward.end == .cancelled)
            // The connections are usable again afterwards.
            try await joined.left.server.write([8])
            buffer.clear()
            try await joined.left.client.readExactly(1, into: &buffer)
        }
    }

    /// While a relay runs, its connections' reads and writes belong to it.
    @Test func relayedConnectionsRejectOtherCalls() async throws {
        try await withReactorGroup { group in
            let joined = try await Self.join(group, options: RelayOptions())
            defer { joined.close() }
            try await joined.left.client.write([1])
            var buffer = ByteBuffer()
            try await joined.right.server.readExactly(1, into: &buffer)  // the relay runs
            await #expect { _ = try await joined.left.server.read(into: &buffer) } throws: {
                ($0 as? NetError)?.code == .concurrentOperation
            }
            await #expect { try await joined.right.client.write([2]) } throws: {
                ($0 as? NetError)?.code == .concurrentOperation
            }
            await #expect { _ = try await joined.right.client.relay(with: joined.left.server) } throws: {
                ($0 as? NetError)?.code == .concurrentOperation
            }
            joined.relay.cancel()
            _ = try await joined.relay.value
        }
    }

    @Test(arguments: [SpliceMode.off, .on])
    func copyToReturnsTheCount(splice: SpliceMode) async throws {
        try await withReactorGroup { group in
            let left = try await LoopbackPair.make(group: group)
            let right = try await LoopbackPair.make(group: group)
            defer { left.close(); right.close() }
            async let copied = left.server.copy(to: right.client, splice: splice)
            async let received = right.server.readAll(limit: 8 << 20)
            try await left.client.write(Pattern.bytes(at: 1, count: 1 << 20))
            try await left.client.closeWrite()
            #expect(try await copied == 1 << 20)
            right.client.close()
            let bytes = try await received
            #expect(bytes.readableBytes == 1 << 20)
            #expect(Pattern.matches(bytes, at: 1))
        }
    }
}
