import Glibc

/// A full-duplex byte stream, in the manner of Go's `net.Conn`.
///
/// One read and one write may be pending at the same time (from two tasks); a second
/// concurrent read, or write, throws ``NetError`` `.concurrentOperation`. Errors are
/// ``NetError`` values naming the operation, the peer and the errno, or `CancellationError`
/// when the calling task is cancelled while waiting.
public protocol Conn: AnyObject, Sendable {
    /// Reads what is available (at least one byte) into the writable space of `buffer`, growing
    /// it when it has none, and returns the count; 0 means the peer ended its stream.
    ///
    /// Start with an empty `ByteBuffer()`: on ``TCPConn`` an empty buffer gets a chunk from the
    /// reactor's pool once data has arrived and gives it back before the read waits, so an idle
    /// connection holds no buffer. (A buffer made with a capacity is replaced by a pooled chunk
    /// at the first read that finds it empty.) A buffer holding unread bytes grows instead; when
    /// it needs room, its consumed bytes are discarded first (``ByteBuffer/discardReadBytes()``:
    /// the readable bytes move to index 0), so a buffer read from while it fills stays bounded.
    func read(into buffer: inout ByteBuffer) async throws -> Int
    /// Writes every readable byte of `buffer`; suspends while the peer is slow (back-pressure).
    func write(_ buffer: ByteBuffer) async throws
    /// Writes several buffers with gathering writes, in order.
    func write(contentsOf buffers: [ByteBuffer]) async throws
    /// Half-close: after pending writes, shuts down the write side; reading goes on.
    func closeWrite() async throws
    /// Closes both directions and fails pending calls. Idempotent; callable from any thread.
    func close()
    /// Read deadline (Go semantics): a read pending when it passes, or started after, throws
    /// ``NetError`` `.timeout`; nil clears it. The connection stays usable.
    func setReadDeadline(_ deadline: Deadline?)
    /// Write deadline, the same rules for writes.
    func setWriteDeadline(_ deadline: Deadline?)
    /// Both deadlines at once.
    func setDeadline(_ deadline: Deadline?)
    /// This end's address.
    var localAddress: SocketAddress? { get }
    /// The peer's address.
    var remoteAddress: SocketAddress? { get }
}

extension Conn {
    /// Writes `bytes` (a convenience that copies them into a buffer).
    public func write(_ bytes: some Collection<UInt8>) async throws {
        try await write(ByteBuffer(bytes: bytes))
    }

    /// Reads until `count` bytes arrived; throws ``NetError`` `.system(ECONNRESET)`-style
    /// errors, and `unexpectedEOF` (code `.closed`, operation `read`) when the stream ends early.
    public func readExactly(_ count: Int, into buffer: inout ByteBuffer) async throws {
        let target = buffer.readableBytes + count
        while buffer.readableBytes < target {
            // An empty buffer gets a pooled chunk from `read`; one holding bytes grows here.
            if buffer.readableBytes > 0 {
                buffer.reserveCapacityDiscardingReadBytes(minimumWritableBytes: min(target - buffer.readableBytes, 64 * 1024))
            }
            if try await read(into: &buffer) == 0 {
                throw NetError(.closed, operation: "read (unexpected end of stream)", at: .stream(local: localAddress, remote: remoteAddress))
            }
        }
    }

    /// Reads until end of stream, keeping at most `limit` bytes (throws past that). The buffer
    /// starts as a pooled chunk and grows by doubling (``read(into:)`` grows a full buffer).
    public func readAll(limit: Int = 64 << 20) async throws -> ByteBuffer {
        var buffer = ByteBuffer()
        while true {
            if try await read(into: &buffer) == 0 { return buffer }
            if buffer.readableBytes > limit {
                throw NetError(.system(errno: EMSGSIZE), operation: "read", at: .stream(local: localAddress, remote: remoteAddress))
            }
        }
    }
}
