/// Callbacks for one datagram socket, called on its reactor thread only: the handler level for
/// UDP and Unix datagrams (the async ``UDPConn`` is built on the same ``DatagramSocket``).
///
/// Contract: ``readable(_:)`` is called when datagrams (or an error) may be read; read with
/// ``DatagramSocket/receiveBatch(maxCount:_:)`` or ``DatagramSocket/receive(into:)`` until it
/// returns `.wouldBlock`. After ``Reactor/maxReadsPerEvent`` calls in one event the socket
/// answers `.wouldBlock` and calls ``readable(_:)`` again on the next pass, so one busy socket
/// cannot starve the others. ``writable(_:)`` is called when datagrams queued with
/// ``DatagramSocket/send(_:to:from:)`` had to wait and have now all been sent.
/// ``sendFailed(_:error:)`` reports a queued datagram the kernel refused (it is dropped and
/// counted in ``DatagramStats/sendErrors``). ``closed(_:error:)`` is called once, after close.
public protocol DatagramHandler: AnyObject {
    /// Datagrams may be read.
    func readable(_ socket: DatagramSocket)
    /// Every queued datagram has been sent.
    func writable(_ socket: DatagramSocket)
    /// A queued datagram could not be sent and was dropped.
    func sendFailed(_ socket: DatagramSocket, error: NetError)
    /// The socket was closed: `error` is nil after a local `close()`, otherwise why it ended.
    func closed(_ socket: DatagramSocket, error: NetError?)
}

extension DatagramHandler {
    /// Default: nothing to do.
    public func writable(_ socket: DatagramSocket) {}
    /// Default: nothing beyond the counter.
    public func sendFailed(_ socket: DatagramSocket, error: NetError) {}
    /// Default: nothing to do.
    public func closed(_ socket: DatagramSocket, error: NetError?) {}
}
