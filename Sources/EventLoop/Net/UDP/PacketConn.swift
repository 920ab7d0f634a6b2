/// A datagram endpoint, in the manner of Go's `net.PacketConn`: message boundaries are kept,
/// every read returns one whole datagram and its sender, every write sends one datagram.
///
/// One read and one write may be pending at the same time (from two tasks); a second
/// concurrent read, or write, throws ``NetError`` `.concurrentOperation`. Errors are
/// ``NetError`` values naming the operation, the address and the errno, or `CancellationError`
/// when the calling task is cancelled while waiting. ``UDPConn`` implements it for UDP over
/// IPv4 and IPv6 and for Unix datagram sockets.
public protocol PacketConn: AnyObject, Sendable {
    /// Reads one datagram into the writable space of `buffer` (a pooled buffer sized to the
    /// datagram when it has none) and returns its size and sender. A datagram larger than the
    /// space throws ``NetError`` `.truncated` (never a silent cut).
    func read(into buffer: inout ByteBuffer) async throws -> (count: Int, from: SocketAddress)
    /// Sends the readable bytes of `buffer` as one datagram to `address`.
    func write(_ buffer: ByteBuffer, to address: SocketAddress) async throws
    /// Closes the socket and fails pending calls. Idempotent; callable from any thread.
    func close()
    /// Read deadline (Go semantics): a read pending when it passes, or started after, throws
    /// ``NetError`` `.timeout`; nil clears it. The socket stays usable.
    func setReadDeadline(_ deadline: Deadline?)
    /// Write deadline, the same rules for writes.
    func setWriteDeadline(_ deadline: Deadline?)
    /// Both deadlines at once.
    func setDeadline(_ deadline: Deadline?)
    /// The bound address (with the real port when port 0 was asked for).
    var localAddress: SocketAddress? { get }
}
