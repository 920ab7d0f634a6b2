import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// `--max-conns`: one connection too many is accepted, closed at once and counted.
@Suite struct MaxConnectionsTests {
    @Test(arguments: ["async", "handler"])
    func refusesAndCountsTheExtraConnection(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--api", api, "--max-conns", "2", "--log-level", "debug"])
        try await withReactorGroup(timeout: 60) { group in
            // One after the other, so that the first is the server's conn=1.
            let first = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { first.close() }
            #expect(try await first.exchange("one") == "one")
            let second = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { second.close() }
            #expect(try await second.exchange("two") == "two")

            let extra = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { extra.close() }
            let refused = try await extra.readUntilClosed()
            #expect(refused.text.isEmpty)
            try await server.waitForOutput(containing: "connection refused")

            // Once one has gone, there is room again. (The server logs the close after the
            // connection has left its count.)
            first.close()
            try await server.waitForOutput(containing: "connection closed conn=1 ")
            let next = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { next.close() }
            #expect(try await next.exchange("three") == "three")
        }
        #expect(try await server.stop() == 0)
        let totals = try server.totals()
        #expect(totals["refused"] == 1)
        #expect(totals["accepted"] == 3)
    }
}
