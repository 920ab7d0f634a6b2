import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import TestSupport

extension TestUpstream {
    /// An upstream that writes `tag` as soon as a client connects, then echoes: a client sees
    /// which upstream it reached.
    static func tagged(_ tag: String, group: ReactorGroup) async throws -> TestUpstream {
        try await TestUpstream(group: group) { conn in
            defer { conn.close() }
            guard (try? await conn.write(Array(tag.utf8))) != nil else { return }
            var buffer = ByteBuffer()
            while true {
                guard let count = try? await conn.read(into: &buffer), count > 0 else { break }
                guard (try? await conn.write(buffer)) != nil else { return }
                buffer.clear()
            }
        }
    }
}

extension ExampleProcess {
    /// Lines of the output containing `text`.
    func count(_ text: String) -> Int {
        lines.filter { $0.contains(text) }.count
    }

    /// Sends SIGHUP and waits (bounded) until the `count`-th reload outcome (reloaded or
    /// failed) is printed; returns the new outcome's line.
    func reload(expectingOutcome count: Int) async throws -> String {
        send(SIGHUP)
        try await waitUntil(within: 20) { self.outcomes.count >= count }
        let outcomes = self.outcomes
        guard outcomes.count == count else { throw ExampleFailure("\(outcomes.count) reload outcomes, expected \(count):\n\(printed)") }
        return String(outcomes[count - 1])
    }

    /// The reload outcome lines so far.
    var outcomes: [Substring] {
        lines.filter { $0.contains("configuration reloaded") || $0.contains("configuration reload failed") }
    }
}

/// Connects to the proxy at `port` and returns the connection with the tag its upstream sent.
func connectTagged(port: UInt16, group: ReactorGroup, tagLength: Int = 1) async throws -> (TCPConn, String) {
    let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
    var buffer = ByteBuffer()
    do {
        try await conn.readExactly(tagLength, into: &buffer)
    } catch {
        conn.close()
        throw error
    }
    return (conn, buffer.readString(length: tagLength) ?? "")
}

/// A loopback port that was free a moment ago (a listener bound to port 0, then closed).
func freePort(group: ReactorGroup) async throws -> UInt16 {
    let listener = try await Listener.listen(.loopbackIPv4(), group: group, reusePort: false)
    defer { listener.close() }
    return listener.address.port ?? 0
}

/// True when nothing listens on `port` any more (the connect is refused).
func connectionRefused(port: UInt16, group: ReactorGroup) async throws -> Bool {
    do {
        let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
        conn.close()
        return false
    } catch let error as NetError where error.errno == ECONNREFUSED || error.underlying.contains(where: { $0.errno == ECONNREFUSED }) {
        return true
    }
}
