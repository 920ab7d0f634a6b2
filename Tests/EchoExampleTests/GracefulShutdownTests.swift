import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// SIGTERM/SIGINT: stop accepting at once, let open connections finish within the drain time,
/// close the rest, exit 0 with totals; a second signal exits at once.
@Suite struct GracefulShutdownTests {
    @Test(arguments: ["async", "handler"])
    func letsAnInFlightClientFinishAndRefusesNewOnes(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--api", api, "--drain-timeout", "30"])
        try await withReactorGroup(timeout: 60) { group in
            let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            #expect(try await conn.exchange("before") == "before")

            // A large message is on its way when the signal arrives.
            let message = patternBuffer(size: 2 << 20)
            async let sent: Void = conn.write(message)
            server.send(SIGTERM)
            try await server.waitForOutput(containing: "stopped accepting")

            // No new connection once the listeners are closed.
            await #expect {
                try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            } throws: { error in
                (error as? NetError)?.errno == ECONNREFUSED
            }

            var reply = ByteBuffer()
            try await conn.readExactly(message.readableBytes, into: &reply)
            try await sent
            #expect(sameBytes(reply, message))
            #expect(try await conn.exchange("after the signal") == "after the signal")
            #expect(server.isRunning, "the server waits for its open connection")
            conn.close()
        }
        #expect(try await server.waitForExit(within: 20) == 0)
        let totals = try server.totals()
        #expect(totals["accepted"] == 1)
        #expect(totals["force_closed"] == 0)
        #expect((totals["bytes_in"] ?? 0) == 6 + (2 << 20) + 16)
    }

    @Test(arguments: ["async", "handler"])
    func closesWhatIsStillOpenWhenTheDrainTimeIsOver(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--api", api, "--drain-timeout", "0.5"])
        try await withReactorGroup(timeout: 60) { group in
            let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            #expect(try await conn.exchange("idle after this") == "idle after this")
            server.send(SIGINT)
            let end = try await conn.readUntilClosed()
            #expect(end.text.isEmpty)
        }
        #expect(try await server.waitForExit(within: 20) == 0)
        #expect(try server.totals()["force_closed"] == 1)
        #expect(server.printed.contains("SIGINT"))
    }

    @Test func exitsAtOnceOnASecondSignal() async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--drain-timeout", "60"])
        try await withReactorGroup(timeout: 60) { group in
            let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            #expect(try await conn.exchange("hold") == "hold")
            server.send(SIGTERM)
            try await server.waitForOutput(containing: "stopped accepting")
            let start = ContinuousClock.now
            let status = try await server.stop(signal: SIGTERM, within: 30)
            #expect(status != 0)
            #expect(secondsSince(start) < 10)
            let end = try await conn.readUntilClosed()
            #expect(end.text.isEmpty)
        }
    }
}
