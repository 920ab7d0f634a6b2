import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// 64 MiB each way at the same time over one connection, every byte checked.
@Suite struct LargeTransferBothWaysTests {
    static let total = 64 << 20

    @Test func sixtyFourMebibytesEachWay() async throws {
        try await withReactorGroup(reactors: 2, timeout: 120) { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            async let clientReceived = Self.receiveAll(pair.client, seed: 7)
            async let serverReceived = Self.receiveAll(pair.server, seed: 3)
            async let clientSent: Void = Self.send(pair.client, seed: 3)
            async let serverSent: Void = Self.send(pair.server, seed: 7)
            try await clientSent
            try await serverSent
            #expect(try await clientReceived == Self.total)
            #expect(try await serverReceived == Self.total)
        }
    }

    static func send(_ conn: TCPConn, seed: Int) async throws {
        var offset = 0
        let chunk = 256 * 1024
        while offset < total {
            try await conn.write(Pattern.bytes(at: offset, count: chunk, seed: seed))
            offset += chunk
        }
        try await conn.closeWrite()
    }

    /// Reads to end of stream, checking the pattern; returns the byte count (or -1 on a mismatch).
    static func receiveAll(_ conn: TCPConn, seed: Int) async throws -> Int {
        var received = 0
        var buffer = ByteBuffer(capacity: 128 * 1024)
        while true {
            buffer.clear()
            let count = try await conn.read(into: &buffer)
            if count == 0 { return received }
            if !Pattern.matches(buffer, at: received, seed: seed) { return -1 }
            received += count
        }
    }
}
