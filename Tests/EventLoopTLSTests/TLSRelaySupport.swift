import EventLoop
import EventLoopTLS
import EventLoopTesting
import TestSupport

/// A TCP relay that forwards each byte in a write of its own (NODELAY: one segment each), both
/// ways: a TLS handshake through it arrives in 1-byte pieces.
final class ByteRelay: Sendable {
    let listener: Listener
    var address: SocketAddress { listener.address }

    init(group: ReactorGroup, to target: SocketAddress) async throws {
        listener = try await Listener.listen(.loopbackIPv4(), group: group)
        let listener = self.listener
        Task {
            guard let inbound = try? await listener.accept() else { return }
            guard let outbound = try? await Dialer().dial(target, on: inbound.reactor) else { inbound.close(); return }
            try? await inbound.setOption(.noDelay, 1)
            async let up: Void = ByteRelay.pump(from: inbound, to: outbound)
            async let down: Void = ByteRelay.pump(from: outbound, to: inbound)
            _ = await (up, down)
            inbound.close()
            outbound.close()
        }
    }

    private static func pump(from source: TCPConn, to destination: TCPConn) async {
        var buffer = ByteBuffer()
        while let count = try? await source.read(into: &buffer), count > 0 {
            for byte in buffer.readableBytesArray {
                guard (try? await destination.write([byte])) != nil else { return }
            }
            buffer.clear()
        }
        try? await destination.closeWrite()
    }

    func close() { listener.close() }
}

/// A real ClientHello (OpenSSL's, with SNI `localhost`): what a TLS client sends first,
/// captured by a plain TCP listener.
func captureClientHello(_ group: ReactorGroup, serverName: String = "localhost") async throws -> [UInt8] {
    let listener = try await Listener.listen(.loopbackIPv4(), group: group)
    defer { listener.close() }
    let context = try TestCertificates.clientContext { $0.handshakeTimeout = .seconds(10) }
    let client = Task { try? await TLSDialer(context: context).dial(listener.address, serverName: serverName, group: group) }
    let conn = try await listener.accept()
    var buffer = ByteBuffer()
    while true {
        _ = try await conn.read(into: &buffer)
        let done = buffer.withUnsafeReadableBytes { TLSClientHello.peek($0) != .needMoreBytes }
        if done { break }
    }
    conn.close()
    _ = await client.value
    return buffer.readableBytesArray
}
