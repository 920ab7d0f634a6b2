/// How sockets name themselves in their errors: the network and the two ends, taken from the
/// addresses each socket keeps from its creation (no syscall, no text until an error is built).

extension StreamSocket {
    /// This socket for its errors: `tcp` (or `unix`), its own end and the peer.
    var endpoints: NetError.Endpoints { .stream(local: localAddress, remote: remoteAddress) }

    /// An error of `operation` on this socket: `read tcp 127.0.0.1:9000->127.0.0.1:52814: …`.
    func netError(_ code: NetError.Code, _ operation: String) -> NetError {
        NetError(code, operation: operation, at: endpoints)
    }
}

extension DatagramSocket {
    /// This socket for its errors: `udp` (or `unixgram`), its own end and, when connected, the peer.
    var endpoints: NetError.Endpoints { .datagram(local: localAddress, remote: remoteAddress) }

    /// An error of `operation` on this socket, naming `peer` (a datagram's sender or destination)
    /// as the other end when given, else the connected peer.
    func netError(_ code: NetError.Code, _ operation: String, peer: SocketAddress? = nil) -> NetError {
        NetError(code, operation: operation, at: endpoints.to(peer))
    }
}

extension TCPConn {
    /// An error of `operation` on this connection (see ``StreamSocket/netError(_:_:)``).
    func netError(_ code: NetError.Code, _ operation: String) -> NetError {
        socket.netError(code, operation)
    }
}
