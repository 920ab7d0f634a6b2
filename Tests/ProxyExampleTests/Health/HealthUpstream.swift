import EventLoop
import Synchronization

/// An upstream for the health-check tests: a connection whose first bytes start with
/// `HEALTH` is a probe, answered as ``behaviour`` says; any other is a client, answered
/// with ``name`` and a newline. Every connection is then closed. Counts the connections it
/// holds open, so a test can see that the proxy closed every probe.
final class HealthUpstream: Sendable {
    /// How probes are answered.
    enum Behaviour: Int, Sendable {
        /// `OK\n` at once.
        case good
        /// `NO\n`.
        case wrong
        /// `O`, then close (a partial reply).
        case partial
        /// `OK\n` after 3 s.
        case slow
        /// Nothing: the connection is held until the proxy closes it.
        case silent
    }

    /// The behaviour and the open-connection count, shared with the connection handlers.
    private final class State: Sendable {
        let mode: Atomic<Int>
        let holding = Atomic<Int>(0)
        init(_ behaviour: Behaviour) { mode = Atomic(behaviour.rawValue) }
    }

    let name: String
    private let state: State
    private let upstream: TestUpstream

    init(name: String, behaviour: Behaviour = .good, group: ReactorGroup) async throws {
        let state = State(behaviour)
        self.state = state
        self.name = name
        upstream = try await TestUpstream(group: group) { conn in
            state.holding.add(1, ordering: .relaxed)
            defer {
                conn.close()
                state.holding.subtract(1, ordering: .relaxed)
            }
            var buffer = ByteBuffer()
            guard let count = try? await conn.read(into: &buffer), count > 0 else { return }
            guard buffer.readString(length: buffer.readableBytes)?.hasPrefix("HEALTH") == true else {
                _ = try? await conn.write(Array("\(name)\n".utf8))
                return
            }
            switch Behaviour(rawValue: state.mode.load(ordering: .relaxed)) ?? .good {
            case .good: _ = try? await conn.write(Array("OK\n".utf8))
            case .wrong: _ = try? await conn.write(Array("NO\n".utf8))
            case .partial: _ = try? await conn.write(Array("O".utf8))
            case .slow:
                try? await Task.sleep(for: .seconds(3))
                _ = try? await conn.write(Array("OK\n".utf8))
            case .silent:
                // Until the proxy gives up and closes (end of stream or a reset).
                while let count = try? await conn.read(into: &buffer), count > 0 { buffer.clear() }
            }
        }
    }

    var port: UInt16 { upstream.port }

    /// Answers probes as `behaviour` says from now on.
    func set(_ behaviour: Behaviour) { state.mode.store(behaviour.rawValue, ordering: .relaxed) }

    /// Connections open now (probes or clients not yet finished).
    var openConnections: Int { state.holding.load(ordering: .relaxed) }

    func close() { upstream.close() }
}
