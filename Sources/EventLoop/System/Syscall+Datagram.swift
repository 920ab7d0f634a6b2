import CEventLoop
import Glibc

/// Datagram sockets: creation, connect, single and batched receive and send, and the options
/// that take more than an integer (multicast membership). Same rules as ``Syscall``: EINTR
/// retried, EAGAIN as `.wouldBlock`, every other errno a ``NetError`` naming the operation.
extension Syscall {
    /// What one `recvmsg` delivered.
    struct ReceivedMessage {
        /// The datagram's size on the wire (MSG_TRUNC asked): more than was stored when truncated.
        var length: Int
        var sender: SocketAddress
        /// Where the datagram was sent to, from IP_PKTINFO/IPV6_PKTINFO (when asked for).
        var destination: SocketAddress?
    }

    /// A non-blocking, close-on-exec datagram socket for `family`; errors name `address` (the
    /// one it is for) as local.
    static func datagramSocket(family: Int32, address: SocketAddress?) throws(NetError) -> Int32 {
        try socket(family: family, type: Int32(SOCK_DGRAM.rawValue), at: .datagram(local: address))
    }

    /// A connected pair of non-blocking, close-on-exec Unix datagram sockets.
    static func datagramPair() throws(NetError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let kind = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        _ = try retrying("socketpair") { socketpair(AF_UNIX, kind, 0, &fds) }
        return (fds[0], fds[1])
    }

    /// Connects a datagram socket to its one peer (completes at once: no handshake). Errors
    /// name `address` and `local` (the bound address, when known).
    static func connectDatagram(_ fd: Int32, to address: SocketAddress, from local: SocketAddress? = nil) throws(NetError) {
        _ = try retrying("connect", .datagram(local: local, remote: address)) {
            address.withSockAddr { Glibc.connect(fd, $0, $1) }
        }
    }

    /// One datagram into `buffer` with its sender and, when `control` is given, its packet info.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, control: UnsafeMutableRawBufferPointer?,
                        localPort: UInt16?, at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<ReceivedMessage> {
        var storage = sockaddr_storage()
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        return try withUnsafeMutablePointer(to: &storage) { name throws(NetError) in
            try withUnsafeMutablePointer(to: &vector) { vector throws(NetError) in
                var message = msghdr(msg_name: UnsafeMutableRawPointer(name), msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                                     msg_iov: vector, msg_iovlen: 1, msg_control: control?.baseAddress,
                                     msg_controllen: control?.count ?? 0, msg_flags: 0)
                let result = try nonBlocking("read", endpoints()) {
                    #if EVENTLOOP_FAULT_INJECTION
                    if let code = FaultInjection.failure(.recvmsg, fd: fd) { errno = code; return -1 }
                    #endif
                    return recvmsg(fd, &message, Int32(MSG_TRUNC))
                }
                guard case .processed(let length) = result else { return .wouldBlock }
                let sender = SocketAddress(storage: name, length: message.msg_namelen) ?? .unnamed
                var destination: SocketAddress?
                if message.msg_controllen > 0 {
                    destination = withUnsafePointer(to: &message) { MessageVector.packetDestination($0, port: localPort) }
                }
                return .processed(ReceivedMessage(length: length, sender: sender, destination: destination))
            }
        }
    }

    /// One datagram of `bytes` to `destination` (nil when connected), from `source` when given.
    /// Errors name `endpoints` with `destination`, when given, as the remote end.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to destination: SocketAddress?, from source: SocketAddress?,
                     at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        if destination == nil && source == nil {
            return try nonBlocking("write", endpoints()) {
                #if EVENTLOOP_FAULT_INJECTION
                if let code = FaultInjection.failure(.send, fd: fd) { errno = code; return -1 }
                #endif
                return Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            }
        }
        var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        var name = sockaddr_storage()
        let nameLength: socklen_t = destination.map { target in
            target.withSockAddr { address, length -> socklen_t in
                withUnsafeMutableBytes(of: &name) { $0.baseAddress!.copyMemory(from: address, byteCount: Int(length)) }
                return length
            }
        } ?? 0
        return try withUnsafeTemporaryAllocation(byteCount: 64, alignment: 16) { control throws(NetError) in
            let controlLength = source.map { from in
                from.withSockAddr { address, _ in Int(cel_send_control(control.baseAddress!, control.count, address, 0)) }
            } ?? 0
            return try withUnsafeMutablePointer(to: &vector) { vector throws(NetError) in
                try withUnsafeMutablePointer(to: &name) { name throws(NetError) in
                    var message = msghdr(msg_name: destination == nil ? nil : UnsafeMutableRawPointer(name), msg_namelen: nameLength,
                                         msg_iov: vector, msg_iovlen: 1, msg_control: controlLength > 0 ? control.baseAddress : nil,
                                         msg_controllen: controlLength, msg_flags: 0)
                    return try nonBlocking("write", endpoints().to(destination)) {
                        #if EVENTLOOP_FAULT_INJECTION
                        if let code = FaultInjection.failure(.sendmsg, fd: fd) { errno = code; return -1 }
                        #endif
                        return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                    }
                }
            }
        }
    }

    /// `recvmmsg` of the first `count` prepared messages: how many arrived (MSG_TRUNC asked, so
    /// each `msg_len` is the datagram's size on the wire).
    static func receiveBatch(_ fd: Int32, _ vector: MessageVector, count: Int,
                             at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        let result = try nonBlocking("read", endpoints()) { () -> Int32 in
            #if EVENTLOOP_FAULT_INJECTION
            if let code = FaultInjection.failure(.recvmmsg, fd: fd) { errno = code; return -1 }
            #endif
            return cel_recvmmsg(fd, vector.headers, UInt32(count), Int32(MSG_TRUNC))
        }
        guard case .processed(let received) = result else { return .wouldBlock }
        return .processed(Int(received))
    }

    /// `sendmmsg` of the first `count` prepared messages: how many were sent (at least one).
    static func sendBatch(_ fd: Int32, _ vector: MessageVector, from first: Int = 0, count: Int,
                          at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        let result = try nonBlocking("write", endpoints()) { () -> Int32 in
            #if EVENTLOOP_FAULT_INJECTION
            if let code = FaultInjection.failure(.sendmmsg, fd: fd) { errno = code; return -1 }
            #endif
            return cel_sendmmsg(fd, vector.headers + first, UInt32(count), Int32(MSG_NOSIGNAL))
        }
        guard case .processed(let sent) = result else { return .wouldBlock }
        return .processed(Int(sent))
    }

    /// Joins (or leaves) the multicast `group` on the interface with index `interface` (0: the
    /// kernel's choice), IPv4 (`ip_mreqn`) or IPv6 (`ipv6_mreq`) after the group's family.
    /// Errors name the group as the remote end.
    static func multicastMembership(_ fd: Int32, group: SocketAddress, interface: UInt32, join: Bool) throws(NetError) {
        let operation = join ? "join multicast group" : "leave multicast group"
        if group.family == AF_INET {
            var request = ip_mreqn()
            request.imr_multiaddr = group.withSockAddr { address, _ in UnsafeRawPointer(address).load(as: sockaddr_in.self).sin_addr }
            request.imr_ifindex = Int32(interface)
            let name = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP
            _ = try retrying(operation, .datagram(remote: group)) {
                setsockopt(fd, Int32(IPPROTO_IP), name, &request, socklen_t(MemoryLayout<ip_mreqn>.size))
            }
        } else {
            var request = ipv6_mreq()
            request.ipv6mr_multiaddr = group.withSockAddr { address, _ in UnsafeRawPointer(address).load(as: sockaddr_in6.self).sin6_addr }
            request.ipv6mr_interface = interface
            let name = join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP
            _ = try retrying(operation, .datagram(remote: group)) {
                setsockopt(fd, Int32(IPPROTO_IPV6), name, &request, socklen_t(MemoryLayout<ipv6_mreq>.size))
            }
        }
    }

    /// IP_MULTICAST_IF: multicast goes out on the interface with this index (IPv4 and IPv6).
    static func multicastInterface(_ fd: Int32, family: Int32, interface: UInt32) throws(NetError) {
        if family == AF_INET {
            var request = ip_mreqn()
            request.imr_ifindex = Int32(interface)
            _ = try retrying("setsockopt IP_MULTICAST_IF") {
                setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &request, socklen_t(MemoryLayout<ip_mreqn>.size))
            }
        } else {
            try setIntOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_MULTICAST_IF, value: Int32(interface))
        }
    }
}
