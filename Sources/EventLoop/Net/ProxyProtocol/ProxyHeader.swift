/// A parsed PROXY protocol header (HAProxy's PROXY protocol, version 1 or 2): what a proxy in
/// front of this server says about the connection it relays.
///
/// A plain value: no allocation (the addresses are IPv4 or IPv6, stored inline), `Sendable`.
/// Made by ``ProxyHeaderParser``; written by ``ProxyHeaderEncoder``.
public struct ProxyHeader: Sendable, Hashable {
    /// The protocol version the header was sent in.
    public enum Version: Sendable, Hashable {
        /// The text form: `PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n` (at most 107 bytes).
        case v1
        /// The binary form: a 16-byte preamble, then addresses and TLVs (16 + length bytes).
        case v2
    }

    /// What the sender asks of the receiver.
    public enum Command: Sendable, Hashable {
        /// The connection is relayed for a client: the addresses (when carried) are the client's.
        case proxy
        /// The sender's own connection (a health check, version 2 only): the receiver uses the
        /// socket's real addresses.
        case local
    }

    /// v1 or v2.
    public var version: Version
    /// `.proxy`, or `.local` (v2 only).
    public var command: Command
    /// The original client's address: nil when the header carries none that is usable
    /// (v1 `UNKNOWN`, v2 `LOCAL`, v2 `AF_UNSPEC` or `AF_UNIX`). The receiver then keeps the
    /// socket's own peer address, as the specification asks.
    public var source: SocketAddress?
    /// The address the original client connected to; nil exactly when ``source`` is nil.
    public var destination: SocketAddress?
    /// The header's length in bytes on the wire, v2 TLVs included: the data after it is the
    /// relayed stream.
    public var length: Int

    /// A header with these fields (as the parser makes them, or for ``ProxyHeaderEncoder``).
    public init(version: Version, command: Command = .proxy, source: SocketAddress?, destination: SocketAddress?, length: Int = 0) {
        self.version = version
        self.command = command
        self.source = source
        self.destination = destination
        self.length = length
    }
}

/// The outcome of ``ProxyHeaderParser/parse(_:maximumLength:)`` on the bytes received so far.
public enum ProxyHeaderParseResult: Sendable, Equatable {
    /// A whole, valid header; its ``ProxyHeader/length`` bytes are consumed, the rest is data.
    case complete(ProxyHeader)
    /// The bytes are a valid start of a header: read more and parse again from the start.
    case incomplete
    /// The bytes are not (the start of) a valid header: close the connection.
    case invalid(ProxyHeaderError)
}
