import EventLoop

/// Two connected ends over loopback, for tests of code that talks over a `Conn`.
public struct LoopbackPair: Sendable {
    /// The dialling end.
    public let client: TCPConn
    /// The accepted end.
    public let server: TCPConn

    /// Listens on `address` (port 0 by default), dials it, accepts once and closes the listener.
    public static func make(group: ReactorGroup, address: SocketAddress = .loopbackIPv4()) async throws -> LoopbackPair {
        let listener = try await Listener.listen(address, group: group)
        defer { listener.close() }
        async let accepted = listener.accept()
        let client = try await Dialer().dial(listener.address, group: group)
        do {
            return LoopbackPair(client: client, server: try await accepted)
        } catch {
            client.close()
            throw error
        }
    }

    /// Closes both ends.
    public func close() {
        client.close()
        server.close()
    }
}
