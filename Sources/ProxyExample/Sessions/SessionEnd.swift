import EventLoop

/// How a client's session ended: the `end` field of the session log line.
enum SessionEnd: String, Sendable, CaseIterable {
    /// The client ended its stream first, then the upstream did (a clean close).
    case clientClosed = "client_closed"
    /// The upstream ended its stream first, then the client did (a clean close).
    case upstreamClosed = "upstream_closed"
    /// Neither side moved a byte for `--idle-timeout`.
    case idleTimeout = "idle_timeout"
    /// Closed by the proxy at the end of a shutdown's drain time.
    case drain
    /// The client reset the connection (or writing to it failed).
    case clientReset = "client_reset"
    /// The upstream reset the connection (or writing to it failed).
    case upstreamReset = "upstream_reset"
    /// Closed by the proxy for another reason (its reactor stopped).
    case closed
    /// Refused before any upstream was dialled (see the line's `reason`: a limit, the access list).
    case refused
    /// No upstream could be reached.
    case noUpstream = "no_upstream"
    /// The relay could not start (see the line's `error`).
    case error

    /// How a relay ended: a reset or failure on either side wins, then the idle timeout, then
    /// a local close (`drain` once the proxy is stopping), then which side closed first.
    init(_ result: RelayResult, stopping: Bool) {
        let (forward, backward) = (result.forward.end, result.backward.end)
        if case .readFailed = forward { self = .clientReset; return }
        if case .writeFailed = backward { self = .clientReset; return }
        if case .readFailed = backward { self = .upstreamReset; return }
        if case .writeFailed = forward { self = .upstreamReset; return }
        if forward == .timedOut || backward == .timedOut { self = .idleTimeout; return }
        if forward == .endOfStream && backward == .endOfStream {
            self = result.backward.endedFirst ? .upstreamClosed : .clientClosed
            return
        }
        self = stopping ? .drain : .closed
    }

    /// The end of a session refused for `reason`.
    init(refusal reason: RefusalReason) {
        switch reason {
        case .noUpstream: self = .noUpstream
        case .draining: self = .drain
        default: self = .refused
        }
    }
}
