import EventLoop
import Synchronization

/// A relay both ways between two `Conn` values of which at least one is TLS, so the bytes
/// must pass through the proxy (no splice): one task per direction reads into a pooled buffer
/// and writes it on. End of stream on one side (for TLS, the peer's `close_notify`) becomes
/// `closeWrite()` on the other (for TLS, a `close_notify`), and the other direction goes on.
/// A failed read or write, or both directions idle for the idle timeout, closes both sides.
/// Runs in the caller's task (the directions are its child tasks, on the same executor).
enum ConnRelay {
    /// How one direction ended.
    enum End: Sendable {
        case endOfStream
        case readFailed(any Error)
        case writeFailed(any Error)
        case timedOut
        case closed
    }

    /// What one direction moved, how it ended and whether it ended before the other one.
    struct Direction: Sendable {
        let bytes: UInt64
        let end: End
        let endedFirst: Bool
    }

    /// Both directions: `up` from the client to the upstream, `down` back.
    struct Result: Sendable {
        let up: Direction
        let down: Direction
    }

    /// The time of the last byte moved either way, and which direction ended first.
    /// Thread-safe (atomics).
    final class Activity: Sendable {
        private let clock = ContinuousClock()
        private let start: ContinuousClock.Instant
        private let lastNanoseconds = Atomic<Int64>(0)
        private let ended = Atomic<Int>(0)

        init() { start = clock.now }

        func touch() {
            lastNanoseconds.store(nanoseconds(clock.now - start), ordering: .relaxed)
        }

        /// True when nothing moved either way for `idle`.
        func idle(for idle: Duration) -> Bool {
            nanoseconds(clock.now - start) - lastNanoseconds.load(ordering: .relaxed) >= nanoseconds(idle)
        }

        /// True for the first direction to end.
        func end() -> Bool {
            ended.add(1, ordering: .relaxed).oldValue == 0
        }

        private func nanoseconds(_ duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }
    }

    /// Relays between `client` and `upstream` until both directions are done. Never throws:
    /// each direction's end says what happened. Leaves both open (closing is the caller's).
    static func run(client: any Conn, upstream: any Conn, idleTimeout: Duration?) async -> Result {
        let activity = Activity()
        async let up = pump(from: client, to: upstream, idleTimeout: idleTimeout, activity: activity)
        async let down = pump(from: upstream, to: client, idleTimeout: idleTimeout, activity: activity)
        return await Result(up: up, down: down)
    }

    private static func pump(from source: any Conn, to destination: any Conn, idleTimeout: Duration?,
                             activity: Activity) async -> Direction {
        let (bytes, end) = await copy(from: source, to: destination, idleTimeout: idleTimeout, activity: activity)
        switch end {
        case .endOfStream, .closed: break
        case .readFailed, .writeFailed, .timedOut:
            // The other direction stops too (its read or write fails with `.closed`).
            source.close()
            destination.close()
        }
        return Direction(bytes: bytes, end: end, endedFirst: activity.end())
    }

    private static func copy(from source: any Conn, to destination: any Conn, idleTimeout: Duration?,
                             activity: Activity) async -> (UInt64, End) {
        var buffer = ByteBuffer()
        var total: UInt64 = 0
        while true {
            if let idleTimeout { source.setReadDeadline(.after(idleTimeout)) }
            let count: Int
            do {
                count = try await source.read(into: &buffer)
            } catch let error as NetError where error.code == .timeout {
                // This direction was quiet; the pair is idle only when the other one was too.
                if let idleTimeout, activity.idle(for: idleTimeout) { return (total, .timedOut) }
                continue
            } catch let error as NetError where error.code == .closed || error.code == .reactorStopped {
                return (total, .closed)
            } catch is CancellationError {
                return (total, .closed)
            } catch {
                return (total, .readFailed(error))
            }
            if count == 0 { break }
            activity.touch()
            do {
                try await destination.write(buffer)
            } catch let error as NetError where error.code == .closed || error.code == .reactorStopped {
                return (total, .closed)
            } catch {
                return (total, .writeFailed(error))
            }
            total &+= UInt64(count)
            buffer.clear()
        }
        do {
            try await destination.closeWrite()
        } catch let error as NetError where error.code == .closed || error.code == .reactorStopped {
            return (total, .closed)
        } catch {
            return (total, .writeFailed(error))
        }
        return (total, .endOfStream)
    }
}

extension SessionEnd {
    /// How a ``ConnRelay`` ended (the rules of the splice relay's mapping).
    init(_ result: ConnRelay.Result, stopping: Bool) {
        switch (result.up.end, result.down.end) {
        case (.readFailed, _), (_, .writeFailed): self = .clientReset
        case (.writeFailed, _), (_, .readFailed): self = .upstreamReset
        case (.timedOut, _), (_, .timedOut): self = .idleTimeout
        case (.endOfStream, .endOfStream): self = result.down.endedFirst ? .upstreamClosed : .clientClosed
        default: self = stopping ? .drain : .closed
        }
    }
}
