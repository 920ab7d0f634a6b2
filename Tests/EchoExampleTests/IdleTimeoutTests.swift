import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// `--idle-timeout`: an idle client is closed, an active one is not.
@Suite struct IdleTimeoutTests {
    /// The timeout is generous against the active client's pace (a ping every 100 ms), so a
    /// loaded machine that delays the client for a while does not make it look idle.
    @Test(arguments: ["async", "handler"])
    func closesTheIdleClientAndSparesTheActiveOne(api: String) async throws {
        let timeout = 2.0
        let (server, port) = try await ExampleProcess.echoServer(["--api", api, "--idle-timeout", "\(timeout)"])
        try await withReactorGroup(timeout: 60) { group in
            let idle = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            let active = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { idle.close(); active.close() }
            let lastActivity = ContinuousClock.now  // no later than the server's last activity
            #expect(try await idle.exchange("hi") == "hi")

            async let idleEnd = idle.readUntilClosed()
            let start = ContinuousClock.now
            while secondsSince(start) < timeout * 1.5 {
                #expect(try await active.exchange("ping") == "ping")
                try await Task.sleep(for: .milliseconds(100))  // the pace of the client, not a sync
            }
            let end = try await idleEnd
            #expect(end.text.isEmpty)
            #expect(!end.reset)
            #expect(secondsSince(lastActivity) >= timeout * 0.98, "closed before the idle timeout")
            #expect(try await active.exchange("still there") == "still there")
        }
        #expect(try await server.stop() == 0)
        #expect(try server.totals()["idle_timeouts"] == 1)
    }
}
