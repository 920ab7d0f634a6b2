import TestSupport
import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// A peer that resets (SO_LINGER 0) shows up as ECONNRESET naming the operation and peer.
@Suite struct PeerResetTests {
    @Test func resetSurfacesOnRead() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.server.abort()
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
            #expect(error?.errno == ECONNRESET)
            #expect(error?.operation == "read")
            #expect(error?.description.contains("connection reset by peer") == true)
            #expect(error?.description.contains("127.0.0.1:") == true)
        }
    }

    @Test func writesToAResetPeerFailWithoutSIGPIPE() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.server.abort()
            let error = await #expect(throws: NetError.self) {
                for _ in 0..<64 { try await pair.client.write(Pattern.bytes(at: 0, count: 64 * 1024)) }
            }
            #expect(error?.errno == ECONNRESET || error?.errno == EPIPE)
        }
    }

    @Test func refusedConnectNamesAddressAndErrno() async throws {
        try await withReactorGroup { group in
            let listener = try await listenBelowEphemeralRange(group: group)
            let address = listener.address
            let hold = try PortHold(address)  // refused after the close, not reused
            defer { withExtendedLifetime(hold) {} }
            listener.close()
            await listener.waitUntilClosed()
            let error = await refusedConnect(to: address, group: group)
            #expect(error?.errno == ECONNREFUSED)
            #expect(error?.description == "connect tcp \(address): connection refused")
        }
    }
}
