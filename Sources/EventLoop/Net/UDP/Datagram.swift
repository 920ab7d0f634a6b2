/// One datagram with its addresses, for the batch calls of ``UDPConn``.
///
/// Received: `data` holds the bytes (in a pooled buffer sized to them), `remoteAddress` is the
/// sender, `localAddress` the address it was sent to when packet info is on
/// (``DatagramOptions/packetInfo``), and ``wireLength`` its size on the wire: a datagram larger
/// than the receive slot is truncated, and says so (``isTruncated``), never silently.
/// Sent: `remoteAddress` is the destination (nil on a connected socket) and `localAddress`,
/// when set, the source address to send from. So writing a received datagram back answers its
/// sender from the address it came to. A value type, `Sendable`.
public struct Datagram: Sendable, Equatable {
    /// The payload.
    public var data: ByteBuffer
    /// The sender (received) or the destination (to send; nil when connected).
    public var remoteAddress: SocketAddress?
    /// Where a received datagram was sent to (packet info), or the address to send from.
    public var localAddress: SocketAddress?
    /// The size the datagram had on the wire; larger than `data` when it was truncated.
    public var wireLength: Int

    /// A datagram of `data` for `remoteAddress` (nil on a connected socket), optionally sent
    /// from `localAddress` (a local address of a wildcard-bound socket with packet info on).
    public init(data: ByteBuffer, remoteAddress: SocketAddress? = nil, localAddress: SocketAddress? = nil) {
        self.data = data
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        wireLength = data.readableBytes
    }

    init(data: ByteBuffer, remoteAddress: SocketAddress?, localAddress: SocketAddress?, wireLength: Int) {
        self.data = data
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.wireLength = wireLength
    }

    /// True when the datagram was larger than the space it was read into and lost its tail.
    public var isTruncated: Bool { wireLength > data.readableBytes }
}

/// A datagram as the handler level receives it: a view into the reactor's receive memory,
/// valid only inside the callback that gets it (copy what must outlive it).
public struct ReceivedDatagram {
    /// The bytes stored: the whole datagram unless ``isTruncated``.
    public let bytes: UnsafeRawBufferPointer
    /// The datagram's size on the wire.
    public let wireLength: Int
    /// The sender (`unix:` with an empty path for an unbound Unix socket).
    public let sender: SocketAddress
    /// Where it was sent to, when packet info is on (``DatagramOptions/packetInfo``).
    public let destination: SocketAddress?

    /// True when the datagram was larger than the space it was read into and lost its tail.
    public var isTruncated: Bool { wireLength > bytes.count }
}

/// What a single handler-level receive delivered into the caller's buffer.
public struct DatagramHeader: Sendable, Hashable {
    /// Bytes stored at the start of the buffer: the whole datagram unless ``isTruncated``.
    public let count: Int
    /// The datagram's size on the wire.
    public let wireLength: Int
    /// The sender (`unix:` with an empty path for an unbound Unix socket).
    public let sender: SocketAddress
    /// Where it was sent to, when packet info is on (``DatagramOptions/packetInfo``).
    public let destination: SocketAddress?

    /// True when the datagram was larger than the buffer and lost its tail.
    public var isTruncated: Bool { wireLength > count }
}

/// Counters of one datagram socket. Read from any thread.
public struct DatagramStats: Sendable, Hashable {
    /// Datagrams received.
    public var datagramsRead: UInt64
    /// Datagrams sent.
    public var datagramsWritten: UInt64
    /// Payload bytes received (stored bytes: a truncated datagram counts what was kept).
    public var bytesRead: UInt64
    /// Payload bytes sent.
    public var bytesWritten: UInt64
    /// Receive system calls that returned data (`recvmsg` or `recvmmsg`).
    public var receiveCalls: UInt64
    /// Send system calls that sent data (`send`, `sendmsg` or `sendmmsg`).
    public var sendCalls: UInt64
    /// Datagrams that arrived truncated.
    public var truncated: UInt64
    /// Queued datagrams the kernel refused (handler level; reported to ``DatagramHandler/sendFailed(_:error:)``).
    public var sendErrors: UInt64
}
