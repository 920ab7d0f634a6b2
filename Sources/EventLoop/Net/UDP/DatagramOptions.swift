import Glibc

/// How a datagram socket is set up before it is bound. A value type; the defaults are a plain
/// socket with the kernel's buffer sizes.
public struct DatagramOptions: Sendable, Hashable {
    /// SO_REUSEADDR.
    public var reuseAddress = false
    /// SO_REUSEPORT: several sockets on one port, the kernel spreading datagrams by flow
    /// (``UDPListener`` sets it to open one socket per reactor).
    public var reusePort = false
    /// For an IPv6 address: also receive IPv4 (as `::ffff:a.b.c.d` senders) when true; IPv6
    /// only when false (IPV6_V6ONLY). Ignored for IPv4 and Unix.
    public var dualStack = false
    /// SO_BROADCAST: allow sending to broadcast addresses.
    public var broadcast = false
    /// IP_PKTINFO and IPV6_RECVPKTINFO: each received datagram carries the address it was sent
    /// to (``Datagram/localAddress``), so a socket bound to a wildcard can answer from it.
    public var packetInfo = false
    /// SO_RCVBUF in bytes (the kernel doubles it, capped by `net.core.rmem_max`); nil: default.
    public var receiveBufferSize: Int32?
    /// SO_SNDBUF in bytes (the kernel doubles it); nil: default.
    public var sendBufferSize: Int32?
    /// Batched sends (`write(contentsOf:)`, the handler level's `flush()`) merge runs of
    /// consecutive datagrams of one size (up to 1,472 bytes) to the same destination into one
    /// segmented send (UDP_SEGMENT, generic segmentation offload): the receiver still gets
    /// separate datagrams, the sender's stack is crossed once per run. On by default for UDP,
    /// and turned off by itself on a kernel that refuses it; never used for Unix sockets.
    public var segmentationOffload = true

    /// Options with the defaults above, any of them given here.
    public init(reuseAddress: Bool = false, reusePort: Bool = false, dualStack: Bool = false, broadcast: Bool = false,
                packetInfo: Bool = false, receiveBufferSize: Int32? = nil, sendBufferSize: Int32? = nil,
                segmentationOffload: Bool = true) {
        self.reuseAddress = reuseAddress
        self.reusePort = reusePort
        self.dualStack = dualStack
        self.broadcast = broadcast
        self.packetInfo = packetInfo
        self.receiveBufferSize = receiveBufferSize
        self.sendBufferSize = sendBufferSize
        self.segmentationOffload = segmentationOffload
    }

    /// A new datagram socket for `family` with these options, bound to `address` when given.
    /// On failure nothing stays open. Throws ``NetError`` (`socket`, `setsockopt`, `bind`).
    func makeSocket(family: Int32, bindingTo address: SocketAddress?) throws(NetError) -> Int32 {
        let fd = try Syscall.datagramSocket(family: family, address: address)
        do {
            let ip = family == AF_INET || family == AF_INET6
            if reuseAddress { try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1) }
            if reusePort && ip { try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1) }
            if broadcast && ip { try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_BROADCAST, value: 1) }
            if let receiveBufferSize { try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_RCVBUF, value: receiveBufferSize) }
            if let sendBufferSize { try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_SNDBUF, value: sendBufferSize) }
            if family == AF_INET6 {
                try Syscall.setIntOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: dualStack ? 0 : 1)
            }
            if packetInfo && family == AF_INET {
                try Syscall.setIntOption(fd, level: Int32(IPPROTO_IP), name: IP_PKTINFO, value: 1)
            } else if packetInfo && family == AF_INET6 {
                try Syscall.setIntOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_RECVPKTINFO, value: 1)
                // IPv4 datagrams reaching a dual-stack socket report theirs through IP_PKTINFO.
                if dualStack { try Syscall.setIntOption(fd, level: Int32(IPPROTO_IP), name: IP_PKTINFO, value: 1) }
            }
            if let address { try Syscall.bind(fd, to: address, at: .datagram(local: address)) }
            return fd
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// True when received datagrams carry packet info for this family.
    func packetInfo(for family: Int32) -> Bool {
        packetInfo && (family == AF_INET || family == AF_INET6)
    }
}
