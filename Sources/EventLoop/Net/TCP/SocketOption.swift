import Glibc

/// A socket option a connection can set or read.
public enum SocketOption: Sendable, Hashable {
    /// TCP_NODELAY: send small writes at once (on by default for dialled and accepted TCP).
    case noDelay
    /// SO_KEEPALIVE: probe idle connections.
    case keepAlive
    /// SO_SNDBUF in bytes (the kernel doubles what is asked).
    case sendBufferSize
    /// SO_RCVBUF in bytes (the kernel doubles what is asked).
    case receiveBufferSize
    /// SO_REUSEADDR.
    case reuseAddress
    /// SO_BROADCAST: a datagram socket may send to broadcast addresses.
    case broadcast
    /// TCP_KEEPIDLE: seconds idle before the first keepalive probe (see ``TCPOptions``).
    case keepAliveIdle
    /// TCP_KEEPINTVL: seconds between keepalive probes.
    case keepAliveInterval
    /// TCP_KEEPCNT: unanswered keepalive probes before the connection is given up.
    case keepAliveCount
    /// TCP_USER_TIMEOUT: milliseconds sent data may stay unacknowledged (0: the system's limit).
    case userTimeout

    var levelAndName: (Int32, Int32) {
        switch self {
        case .noDelay: return (Int32(IPPROTO_TCP), TCP_NODELAY)
        case .keepAlive: return (SOL_SOCKET, SO_KEEPALIVE)
        case .sendBufferSize: return (SOL_SOCKET, SO_SNDBUF)
        case .receiveBufferSize: return (SOL_SOCKET, SO_RCVBUF)
        case .reuseAddress: return (SOL_SOCKET, SO_REUSEADDR)
        case .broadcast: return (SOL_SOCKET, SO_BROADCAST)
        case .keepAliveIdle: return (Int32(IPPROTO_TCP), TCP_KEEPIDLE)
        case .keepAliveInterval: return (Int32(IPPROTO_TCP), TCP_KEEPINTVL)
        case .keepAliveCount: return (Int32(IPPROTO_TCP), TCP_KEEPCNT)
        case .userTimeout: return (Int32(IPPROTO_TCP), TCP_USER_TIMEOUT)
        }
    }
}

extension StreamSocket {
    /// Sets an integer option (booleans are 0 or 1). Reactor thread only
    /// (checked: traps elsewhere). Throws ``NetError`` (`setsockopt`, errno) or `.closed`.
    public func setOption(_ option: SocketOption, _ value: Int32) throws(NetError) {
        reactor.checkConfined("StreamSocket", "setOption")
        guard fd >= 0 else { throw netError(.closed, "setsockopt") }
        let (level, name) = option.levelAndName
        try Syscall.setIntOption(fd, level: level, name: name, value: value, at: endpoints)
    }

    /// Reads an integer option. Reactor thread only.
    public func option(_ option: SocketOption) throws(NetError) -> Int32 {
        reactor.checkConfined("StreamSocket", "option")
        guard fd >= 0 else { throw netError(.closed, "getsockopt") }
        let (level, name) = option.levelAndName
        return try Syscall.getIntOption(fd, level: level, name: name, at: endpoints)
    }

    /// SO_LINGER: nil turns it off; 0 makes close send a reset. Reactor thread only.
    public func setLinger(seconds: Int32?) throws(NetError) {
        reactor.checkConfined("StreamSocket", "setLinger")
        guard fd >= 0 else { throw netError(.closed, "setsockopt") }
        try Syscall.setLinger(fd, seconds: seconds, at: endpoints)
    }
}
