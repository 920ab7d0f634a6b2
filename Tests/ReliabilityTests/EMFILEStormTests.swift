import TestSupport
import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// A storm of clients at a server (child process) whose fd limit is far lower: it pauses
/// accepting instead of spinning on EMFILE, and serves again after each storm.
@Suite struct EMFILEStormTests {
    @Test func serverSurvivesRepeatedStormsWithoutSpinning() async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--threads", "2", "--fd-limit", "64"])
        let stormSize = 400  // far more than 64 fds, less than the listen backlog: every dial completes
        try await withReactorGroup(reactors: 2, timeout: 90) { group in
            for storm in 1...3 {
                // A storm client may also be refused or reset (a slow server, e.g. under a
                // sanitizer, lets the kernel's queues overflow): that is an outcome of the storm,
                // not a failure of the server. What must hold is checked below.
                let clients = await withTaskGroup(of: TCPConn?.self) { tasks in
                    for index in 0..<stormSize {
                        tasks.addTask {
                            guard let conn = try? await Dialer(timeout: .seconds(10)).dial(.loopbackIPv4(port: port), group: group) else { return nil }
                            guard (try? await conn.write([UInt8(truncatingIfNeeded: index)])) != nil else {
                                conn.close()
                                return nil
                            }
                            return conn
                        }
                    }
                    return await tasks.reduce(into: [TCPConn]()) { if let conn = $1 { $0.append(conn) } }
                }
                #expect(clients.count > stormSize / 2, "storm \(storm): only \(clients.count) of \(stormSize) clients connected")
                if storm == 1 { try await server.waitForOutput(containing: "EMFILE") }
                // Out of fds with hundreds of connections queued: the CPU it uses over a window.
                let before = try server.cpuSeconds()
                let start = ContinuousClock.now
                try await Task.sleep(for: .milliseconds(600))
                let elapsed = seconds(since: start)
                let used = try server.cpuSeconds() - before
                #expect(used < elapsed * 0.3, "storm \(storm): server used \(used) s of CPU in \(elapsed) s while out of fds")
                for conn in clients { conn.abort() }
                // Recovered: a new client is served (after the queued ones are drained).
                let fresh = try await Dialer(timeout: .seconds(10)).dial(.loopbackIPv4(port: port), group: group)
                defer { fresh.close() }
                fresh.setDeadline(.after(.seconds(20)))
                let message = Pattern.bytes(at: storm, count: 10_000)
                try await fresh.write(message)
                var reply = ByteBuffer()
                try await fresh.readExactly(10_000, into: &reply)
                #expect(Pattern.matches(reply, at: storm), "storm \(storm): echo differs")
                #expect(server.isRunning)
            }
        }
        #expect(try await server.stop() == 0, "\(server.printed.suffix(2_000))")
    }
}
