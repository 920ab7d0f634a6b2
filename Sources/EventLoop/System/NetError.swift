import Glibc

/// The one error type the library throws for network failures, modelled on Go's `net.OpError`.
///
/// Every value names the operation that failed (`connect`, `read`, `accept`, …), the network
/// (`tcp`, `udp`, `unix`, `unixgram`) and the addresses involved where they are known, and the
/// cause (``code``: an errno, a timeout, a closed socket, …). ``description`` prints the way Go
/// does, `operation network local->remote: cause`, e.g.
/// `read tcp 127.0.0.1:9000->127.0.0.1:52814: connection reset by peer`; when only one address
/// is known it stands alone (`connect tcp 127.0.0.1:9000: connection refused`,
/// `accept tcp 127.0.0.1:9000: use of closed network connection`). An errno prints as the C
/// library's text with a lower-case first letter, as Go prints it; ``debugDescription`` adds the
/// symbolic name (`connection refused (ECONNREFUSED)`) and ``errnoName`` gives it alone.
/// Values are immutable and `Sendable`; building one allocates only for its texts.
public struct NetError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
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
        /// A socket option's value was out of range (nothing was set); `name` is the option
        /// (`TCP_KEEPIDLE`, `TCP_USER_TIMEOUT`, …), `reason` the value and the allowed range.
        case invalidOption(name: String, reason: String)
    }

    /// The kind of socket an operation acted on, named as Go names its networks.
    public enum Network: String, Sendable, Equatable {
        /// A TCP stream socket, IPv4 or IPv6.
        case tcp
        /// A UDP socket, IPv4 or IPv6.
        case udp
        /// A Unix-domain stream socket.
        case unix
        /// A Unix-domain datagram socket.
        case unixgram
    }

    /// What went wrong.
    public let code: Code
    /// The operation that failed, as a short verb: `connect`, `read`, `accept`, ….
    public let operation: String
    /// The kind of socket, when the operation acted on one.
    public let network: Network?
    /// This end's address, when known: a connection's own end, a listener's bound address (for
    /// `listen`, `bind` and `accept`), the address a dial bound before connecting.
    public let localAddress: SocketAddress?
    /// The other end's address, when known: a connection's peer, the address a dial connected
    /// to, a datagram's sender or destination.
    public let remoteAddress: SocketAddress?
    /// The address as the caller wrote it, where no socket address stands for it: the host and
    /// port of a dial or a lookup by name (`example.com:80`), a label the caller chose. It
    /// prints in the remote address's place.
    public let addressText: String?
    /// For aggregated failures (a dial that tried several addresses), each attempt's error.
    public let underlying: [NetError]

    /// Creates an error. Library code uses the sockets' helpers; this is public for tests and
    /// adapters. `address` is the text of an address that is not a ``SocketAddress`` (see
    /// ``addressText``).
    public init(_ code: Code, operation: String, network: Network? = nil, local: SocketAddress? = nil,
                remote: SocketAddress? = nil, address: String? = nil, underlying: [NetError] = []) {
        self.code = code
        self.operation = operation
        self.network = network
        self.localAddress = local
        self.remoteAddress = remote
        self.addressText = address
        self.underlying = underlying
    }

    /// The address the operation acted on, as text: ``addressText``, else the remote address,
    /// else the local one (as ``SocketAddress/description`` renders them); nil when none is known.
    public var address: String? {
        addressText ?? remoteAddress?.description ?? localAddress?.description
    }

    /// The errno, when the error came from a system call.
    public var errno: Int32? {
        if case .system(let value) = code { return value }
        return nil
    }

    /// The errno's symbolic name (`ECONNRESET`), when the error came from a system call.
    public var errnoName: String? { errno.map(Errno.name) }

    /// True when the error is a deadline expiry (Go's `os.ErrDeadlineExceeded`; prints `i/o timeout`).
    public var isTimeout: Bool { code == .timeout }

    /// `operation network local->remote: cause`, one line, as Go's `net.OpError` prints.
    public var description: String { render(symbolic: false) }

    /// ``description`` with each errno's symbolic name after its text:
    /// `read tcp 127.0.0.1:9000->127.0.0.1:52814: connection reset by peer (ECONNRESET)`.
    public var debugDescription: String { render(symbolic: true) }

    private func render(symbolic: Bool) -> String {
        var text = operation
        if let network { text += " " + network.rawValue }
        let local = localAddress.flatMap(Self.printed)
        let remote = remoteAddress.flatMap(Self.printed)
        if let local { text += " " + local }
        if let other = remote ?? addressText { text += (local == nil ? " " : "->") + other }
        text += ": " + reason(symbolic: symbolic)
        if !underlying.isEmpty {
            text += " [" + underlying.map { $0.render(symbolic: symbolic) }.joined(separator: "; ") + "]"
        }
        return text
    }

    /// An address as Go prints it: `127.0.0.1:9000`, `[::1]:9000`, a Unix path; nil for an
    /// unnamed Unix socket.
    private static func printed(_ address: SocketAddress) -> String? {
        guard let path = address.path else { return address.description }
        return path.isEmpty ? nil : path
    }

    private func reason(symbolic: Bool) -> String {
        switch code {
        case .system(let value):
            let text = Errno.message(value)
            return symbolic ? "\(text) (\(Errno.name(value)))" : text
        case .closed: return "use of closed network connection"
        case .concurrentOperation: return "another call of this kind is already pending"
        case .outputClosed: return "write side already closed"
        case .reactorStopped: return "reactor stopped"
        case .shuttingDown: return "reactor shutting down"
        case .timeout: return "i/o timeout"
        case .invalidAddress(let text): return "invalid address \"\(text)\""
        case .resolution(let message): return "name resolution failed: \(message)"
        case .dialFailed: return "all attempts failed"
        case .truncated(let length): return "datagram of \(length) bytes truncated (larger than the buffer's space)"
        case .invalidOption(let name, let reason): return "invalid \(name): \(reason)"
        }
    }
}

extension NetError {
    /// Where an operation took place, for its error: the network and the ends known. The
    /// syscall wrappers take it as an autoclosure, so it is built only when an error is.
    struct Endpoints {
        var network: Network?
        var local: SocketAddress?
        var remote: SocketAddress?
        var text: String?

        /// No socket: an operation of the reactor or the process (epoll, eventfd, pipe).
        static var none: Endpoints { Endpoints() }

        /// A stream socket (`tcp`, or `unix` for a Unix path) with the ends known.
        static func stream(local: SocketAddress? = nil, remote: SocketAddress? = nil) -> Endpoints {
            Endpoints(network: (local ?? remote).map { $0.family == AF_UNIX ? .unix : .tcp }, local: local, remote: remote)
        }

        /// A datagram socket (`udp`, or `unixgram` for a Unix path) with the ends known.
        static func datagram(local: SocketAddress? = nil, remote: SocketAddress? = nil) -> Endpoints {
            Endpoints(network: (local ?? remote).map { $0.family == AF_UNIX ? .unixgram : .udp }, local: local, remote: remote)
        }

        /// The same place with `label` (the text the caller dialled), when given, in place of
        /// the remote address.
        func labelled(_ label: String?) -> Endpoints {
            guard let label else { return self }
            var moved = self
            moved.remote = nil
            moved.text = label
            return moved
        }

        /// The same place with `remote` as the other end, when given (a datagram's destination).
        func to(_ remote: SocketAddress?) -> Endpoints {
            guard let remote else { return self }
            var moved = self
            moved.remote = remote
            return moved
        }
    }

    /// An error at `endpoints`.
    init(_ code: Code, operation: String, at endpoints: Endpoints, underlying: [NetError] = []) {
        self.init(code, operation: operation, network: endpoints.network, local: endpoints.local,
                  remote: endpoints.remote, address: endpoints.text, underlying: underlying)
    }
}
