import Glibc

/// The one error type the library throws for network failures.
///
/// Every value names the operation that failed (`connect`, `read`, `accept`, …), the
/// address involved where there is one, and for system failures the errno with its
/// symbolic name and text, e.g. `connect 127.0.0.1:9000: ECONNREFUSED (Connection refused)`.
/// Values are immutable and `Sendable`.
public struct NetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, independent of operation and address.
    public enum Code: Sendable, Equatable {
        /// A system call failed with this errno.
        case system(errno: Int32)
        /// The connection or listener was closed (locally) before or during the call.
        case closed
        /// A second read (or write) was started while one was already pending.
        case concurrentOperation
        /// The write side was already shut down with `closeWrite()`.
        case outputClosed
        /// The reactor that owns the socket has been shut down: a call on one of its sockets, or
        /// a call that was pending when the shutdown closed the socket.
        case reactorStopped
        /// New work (dial, listen, accept, submit, schedule, sleep) was refused because the
        /// reactor's shutdown has begun: nothing is queued onto a reactor that is going away.
        case shuttingDown
        /// A deadline passed before the call completed; the connection stays usable.
        case timeout
        /// Text that should have been an address was not; the payload quotes it.
        case invalidAddress(String)
        /// Name resolution failed; the payload is the resolver's message.
        case resolution(String)
        /// Every attempt of a dial failed; the attempts are listed in `underlying`.
        case dialFailed
        /// A datagram was larger than the space it was read into; the payload is its size on
        /// the wire. Nothing was stored; the datagram is gone (datagrams are read whole or not).
        case truncated(wireLength: Int)
    }

    /// What went wrong.
    public let code: Code
    /// The operation that failed, as a short verb: `connect`, `read`, `accept`, ….
    public let operation: String
    /// The address the operation was acting on, rendered as text, if any.
    public let address: String?
    /// For aggregated failures (a dial that tried several addresses), each attempt's error.
    public let underlying: [NetError]

    /// Creates an error. Library code uses the static helpers; this is public for tests and adapters.
    public init(_ code: Code, operation: String, address: String? = nil, underlying: [NetError] = []) {
        self.code = code
        self.operation = operation
        self.address = address
        self.underlying = underlying
    }

    /// The errno, when the error came from a system call.
    public var errno: Int32? {
        if case .system(let value) = code { return value }
        return nil
    }

    /// True when the error is a deadline expiry (Go's `os.ErrDeadlineExceeded`).
    public var isTimeout: Bool { code == .timeout }

    /// `operation address: REASON`, one line, for logs and users.
    public var description: String {
        var text = operation
        if let address { text += " \(address)" }
        text += ": " + reason
        if !underlying.isEmpty {
            text += " [" + underlying.map(\.description).joined(separator: "; ") + "]"
        }
        return text
    }

    private var reason: String {
        switch code {
        case .system(let value): return "\(Errno.name(value)) (\(Errno.text(value)))"
        case .closed: return "use of closed connection"
        case .concurrentOperation: return "another call of this kind is already pending"
        case .outputClosed: return "write side already closed"
        case .reactorStopped: return "reactor stopped"
        case .shuttingDown: return "reactor shutting down"
        case .timeout: return "i/o timeout"
        case .invalidAddress(let text): return "invalid address \"\(text)\""
        case .resolution(let message): return "name resolution failed: \(message)"
        case .dialFailed: return "all attempts failed"
        case .truncated(let length): return "datagram of \(length) bytes truncated (larger than the buffer's space)"
        }
    }
}
