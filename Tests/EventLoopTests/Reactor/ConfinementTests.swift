import EventLoop
import EventLoopTesting
import Testing

/// The handler-level sockets are confined to their reactor's thread, and that is checked in
/// every build (not only by `assert`): a call from another thread traps with a message that
/// names the type and the operation. The traps run in a child process (exit tests); what
/// stays legal (calls on the reactor, `close()` from anywhere, any call once the reactor has
/// stopped) is checked in-process.
@Suite struct ConfinementTests {
    /// The text the trap writes to standard error.
    static func standardError(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func streamSocketSendOffItsReactorTraps() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let group = try ReactorGroup(count: 1, name: "confined")
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let conn = try await Dialer().dial(listener.address, group: group)
            // This body runs on the global executor, not on the reactor's thread.
            try [UInt8](repeating: 1, count: 4).withUnsafeBytes { bytes in try conn.socket.send(bytes) }
        }
        let message = Self.standardError(result)
        #expect(message.contains("StreamSocket.send called off its reactor's thread (confined-0)"), "\(message)")
    }

    @Test func streamSocketReadOffItsReactorTraps() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let group = try ReactorGroup(count: 1, name: "confined")
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let conn = try await Dialer().dial(listener.address, group: group)
            var bytes = [UInt8](repeating: 0, count: 16)
            _ = try bytes.withUnsafeMutableBytes { buffer in try conn.socket.read(into: buffer) }
        }
        #expect(Self.standardError(result).contains("StreamSocket.read called off its reactor's thread"))
    }

    @Test func datagramSocketReceiveOffItsReactorTraps() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let group = try ReactorGroup(count: 1, name: "confined")
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            var bytes = [UInt8](repeating: 0, count: 16)
            _ = try bytes.withUnsafeMutableBytes { buffer in try conn.socket.receive(into: buffer) }
        }
        let message = Self.standardError(result)
        #expect(message.contains("DatagramSocket.receive called off its reactor's thread (confined-0)"), "\(message)")
    }

    @Test func datagramSocketSendOffItsReactorTraps() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let group = try ReactorGroup(count: 1, name: "confined")
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let destination = conn.localAddress!
            try [UInt8](repeating: 1, count: 4).withUnsafeBytes { bytes in
                try conn.socket.send(bytes, to: destination)
            }
        }
        #expect(Self.standardError(result).contains("DatagramSocket.send called off its reactor's thread"))
    }

    /// On the reactor the same calls work, and `close()` works from any thread.
    @Test func callsOnTheReactorAndCloseFromAnywhereDoNotTrap() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]  // the test body runs on reactors[0]
            let listener = try await Listener.listen(.loopbackIPv4(), on: reactor)
            let conn = try await Dialer().dial(listener.address, on: reactor)
            let udp = try await UDPConn.bind(.loopbackIPv4(), on: reactor)
            let socket = conn.socket
            let datagrams = udp.socket
            #expect(!reactor.isCurrent)
            try await reactor.submit {
                try [UInt8](repeating: 1, count: 4).withUnsafeBytes { bytes in try socket.send(bytes) }
                try [UInt8](repeating: 2, count: 4).withUnsafeBytes { bytes in
                    try datagrams.send(bytes, to: datagrams.localAddress)
                }
                try datagrams.flush()
            }
            #expect(try await reactor.submit { socket.pendingWriteBytes } == 0)
            #expect(try await reactor.submit { datagrams.pendingWriteCount } == 0)
            socket.close()
            datagrams.close()
            listener.close()
        }
    }

    /// Once the reactor has stopped, its sockets are closed and a call from any thread fails
    /// with `.closed` instead of trapping.
    @Test func callsAfterTheReactorStoppedFailWithClosed() async throws {
        let group = try ReactorGroup(count: 1, name: "confined")
        try await withTimeout(30) {
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let conn = try await Dialer().dial(listener.address, group: group)
            let udp = try await UDPConn.bind(.loopbackIPv4(), group: group)
            await group.shutdown()
            let sendError = #expect(throws: NetError.self) {
                try [UInt8](repeating: 1, count: 4).withUnsafeBytes { bytes in try conn.socket.send(bytes) }
            }
            #expect(sendError?.code == .closed)
            #expect(sendError?.operation == "write")
            var bytes = [UInt8](repeating: 0, count: 16)
            let receiveError = #expect(throws: NetError.self) {
                _ = try bytes.withUnsafeMutableBytes { buffer in try udp.socket.receive(into: buffer) }
            }
            #expect(receiveError?.code == .closed)
            #expect(receiveError?.operation == "read")
            conn.close()
            udp.close()
            listener.close()
        }
        try await LeakCheck.expectNoLeaks(group)
    }
}
