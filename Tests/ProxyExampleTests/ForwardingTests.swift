import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// The proxy as a user runs it: the built executable between clients and upstreams of this
/// test process, over loopback.
@Suite struct ForwardingTests {
    /// Every byte intact both ways (the upstream checks the upload, the client the download,
    /// against the same deterministic stream), with each splice setting.
    @Test(arguments: ["auto", "off", "on"])
    func largeTransferBothWaysIsIntact(splice: String) async throws {
        let megabytes = splice == "auto" ? ProxyScale.integrityMegabytes : max(8, ProxyScale.integrityMegabytes / 8)
        let size = megabytes << 20
        try await withReactorGroup(reactors: 2, timeout: 240) { group in
            let uploads = Locked<[(Int, Bool)]>([])
            let upstream = try await TestUpstream(group: group) { conn in
                defer { conn.close() }
                async let sent: Void = Stream.send(size, seed: 2, to: conn)
                let received = try? await Stream.receive(seed: 1, from: conn)
                uploads.withLock { $0.append(received ?? (-1, false)) }
                try? await sent
                try? await conn.closeWrite()
            }
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--splice", splice])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            async let upload: Void = {
                try await Stream.send(size, seed: 1, to: client)
                try await client.closeWrite()
            }()
            let download = try await Stream.receive(seed: 2, from: client)
            try await upload
            try await waitUntil(within: 30) { uploads.withLock { !$0.isEmpty } }
            #expect(download.count == size)
            #expect(download.intact)
            #expect(uploads.withLock { $0.first?.0 } == size)
            #expect(uploads.withLock { $0.first?.1 } == true)
            #expect(try await proxy.stop() == 0)
        }
    }

    /// The client sends and shuts its write side; the upstream reads to end of stream, then
    /// replies; the client receives all of it. Both levels of the proxy (`--api`).
    @Test(arguments: ["handler", "async"])
    func halfCloseIsPassedOn(api: String) async throws {
        try await withReactorGroup { group in
            let upstream = try await TestUpstream(group: group) { conn in
                defer { conn.close() }
                guard let request = try? await conn.readAll() else { return }
                var reply = ByteBuffer(string: "got \(request.readableBytes)\n")
                reply.writeBuffer(patternBuffer(size: 1 << 20))
                try? await conn.write(reply)
                try? await conn.closeWrite()
            }
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--api", api])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            try await client.write(patternBuffer(size: 300_000))
            try await client.closeWrite()
            var reply = try await client.readAll()
            #expect(reply.readString(length: 11) == "got 300000\n")
            #expect(sameBytes(reply, patternBuffer(size: 1 << 20)))
            #expect(try await proxy.stop() == 0)
        }
    }

    /// An upstream that resets mid-stream: the client sees a reset too, not a clean end.
    @Test(arguments: ["handler", "async"])
    func upstreamResetReachesTheClientAsAReset(api: String) async throws {
        try await withReactorGroup { group in
            let upstream = try await TestUpstream(group: group) { conn in
                try? await conn.write(patternBuffer(size: 100_000))
                var buffer = ByteBuffer()
                _ = try? await conn.read(into: &buffer)  // the client's go-ahead
                conn.abort()
            }
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--api", api])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            var buffer = ByteBuffer()
            try await client.readExactly(100_000, into: &buffer)
            try await client.write([1])
            let (_, reset) = try await client.readUntilClosed()
            #expect(reset)
            #expect(try await proxy.stop() == 0)
        }
    }

    /// A client that vanishes mid-transfer (a reset): the upstream side is closed within seconds.
    @Test func clientVanishingClosesTheUpstreamSide() async throws {
        try await withReactorGroup { group in
            let upstreamEnded = Locked<Bool>(false)
            let upstream = try await TestUpstream(group: group) { conn in
                defer {
                    conn.close()
                    upstreamEnded.withLock { $0 = true }
                }
                let block = patternBuffer(size: 64 * 1024)
                while (try? await conn.write(block)) != nil {}
            }
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            var buffer = ByteBuffer()
            try await client.readExactly(200_000, into: &buffer)
            client.abort()
            try await waitUntil(within: 30) { upstreamEnded.withLock { $0 } }
            #expect(try await proxy.stop() == 0)
        }
    }

    /// A client that never reads while the upstream pushes as hard as it can: the proxy stops
    /// reading the upstream (back-pressure) and its memory stays bounded.
    @Test(arguments: ["off", "on"])
    func slowReaderKeepsTheProxyMemoryBounded(splice: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let pushed = Locked<Int>(0)
            let upstream = try await TestUpstream(group: group) { conn in
                defer { conn.close() }
                let block = patternBuffer(size: 256 * 1024)
                while (try? await conn.write(block)) != nil {
                    pushed.withLock { $0 += block.readableBytes }
                }
            }
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--splice", splice])
            let before = try proxy.residentBytes()
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            try await client.setOption(.receiveBufferSize, 64 * 1024)
            // The upstream stalls once the kernel buffers on the way are full.
            let last = Locked<Int>(-1)
            try await waitUntil(within: 20) {
                let now = pushed.withLock { $0 }
                let previous = last.withLock { value in
                    defer { value = now }
                    return value
                }
                if now != previous { try await Task.sleep(for: .milliseconds(200)) }
                return now == previous && now > 0
            }
            let stalledAt = pushed.withLock { $0 }
            let growth = try proxy.residentBytes() - before
            #expect(growth < 8 << 20, "proxy grew \(growth) bytes while the upstream pushed \(stalledAt)")
            #expect(stalledAt < 64 << 20, "the upstream pushed \(stalledAt) bytes into a client that reads nothing")
            // Reading resumes the flow.
            try await waitUntil(within: 20) {
                var buffer = ByteBuffer()
                _ = try await client.read(into: &buffer)
                return pushed.withLock { $0 } > stalledAt
            }
            #expect(try await proxy.stop() == 0)
        }
    }
}
