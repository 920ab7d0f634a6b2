import Glibc

extension DatagramSocket {
    /// Sets an integer option (booleans are 0 or 1): ``SocketOption/broadcast``, the buffer
    /// sizes, … Reactor thread only. Throws ``NetError`` (`setsockopt`, errno) or `.closed`.
    public func setOption(_ option: SocketOption, _ value: Int32) throws(NetError) {
        let fd = try openDescriptor("setsockopt", method: "setOption")
        let (level, name) = option.levelAndName
        try Syscall.setIntOption(fd, level: level, name: name, value: value)
    }

    /// Reads an integer option. Reactor thread only. Throws ``NetError``.
    public func option(_ option: SocketOption) throws(NetError) -> Int32 {
        let fd = try openDescriptor("getsockopt", method: "option")
        let (level, name) = option.levelAndName
        return try Syscall.getIntOption(fd, level: level, name: name)
    }

    /// Joins the multicast `group` (an IPv4 or IPv6 multicast address; its port is ignored) on
    /// the interface named `interface` (nil: the kernel's choice by route). Reactor thread only.
    /// Throws ``NetError`` (`join multicast group`, the group, the errno; ENODEV for an unknown
    /// interface).
    public func joinMulticastGroup(_ group: SocketAddress, interface: String? = nil) throws(NetError) {
        let fd = try openDescriptor("join multicast group", method: "joinMulticastGroup")
        try Syscall.multicastMembership(fd, group: group, interface: try interfaceIndex(interface, group), join: true)
    }

    /// Leaves a group joined with ``joinMulticastGroup(_:interface:)``. Reactor thread only.
    public func leaveMulticastGroup(_ group: SocketAddress, interface: String? = nil) throws(NetError) {
        let fd = try openDescriptor("leave multicast group", method: "leaveMulticastGroup")
        try Syscall.multicastMembership(fd, group: group, interface: try interfaceIndex(interface, group), join: false)
    }

    /// IP_MULTICAST_TTL (IPv4) or IPV6_MULTICAST_HOPS (IPv6): how far multicast sent from
    /// this socket may travel (1, the default, stays on the local network). Reactor thread only.
    public func setMulticastTTL(_ hops: Int32) throws(NetError) {
        let fd = try openDescriptor("setsockopt", method: "setMulticastTTL")
        if isIPv4 {
            try Syscall.setIntOption(fd, level: Int32(IPPROTO_IP), name: IP_MULTICAST_TTL, value: hops)
        } else {
            try Syscall.setIntOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_MULTICAST_HOPS, value: hops)
        }
    }

    /// IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: whether this host's own members of a group
    /// receive what this socket sends to it (on by default). Reactor thread only.
    public func setMulticastLoop(_ enabled: Bool) throws(NetError) {
        let fd = try openDescriptor("setsockopt", method: "setMulticastLoop")
        if isIPv4 {
            try Syscall.setIntOption(fd, level: Int32(IPPROTO_IP), name: IP_MULTICAST_LOOP, value: enabled ? 1 : 0)
        } else {
            try Syscall.setIntOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_MULTICAST_LOOP, value: enabled ? 1 : 0)
        }
    }

    /// IP_MULTICAST_IF / IPV6_MULTICAST_IF: send multicast out of the interface named
    /// `interface` (`lo` for a test on one host). Reactor thread only. Throws ``NetError``.
    public func setMulticastInterface(_ interface: String) throws(NetError) {
        let fd = try openDescriptor("setsockopt", method: "setMulticastInterface")
        let index = try interfaceIndex(interface, localAddress ?? .loopbackIPv4())
        try Syscall.multicastInterface(fd, family: isIPv4 ? AF_INET : AF_INET6, interface: index)
    }

    private var isIPv4: Bool { (localAddress ?? remoteAddress)?.family == AF_INET }

    /// The descriptor, after checking the thread (`method` names the caller in the trap).
    private func openDescriptor(_ operation: String, method: StaticString) throws(NetError) -> Int32 {
        reactor.checkConfined("DatagramSocket", method)
        guard fd >= 0 else { throw netError(.closed, operation) }
        return fd
    }

    private func interfaceIndex(_ name: String?, _ group: SocketAddress) throws(NetError) -> UInt32 {
        guard let name else { return 0 }
        let index = Syscall.interfaceIndex(named: name)
        guard index != 0 else { throw netError(.system(errno: ENODEV), "if_nametoindex \(name)", peer: group) }
        return index
    }
}

extension UDPConn {
    /// Sets an integer option on the reactor thread (see ``DatagramSocket/setOption(_:_:)``).
    public func setOption(_ option: SocketOption, _ value: Int32) async throws {
        let socket = self.socket
        try await reactor.submit { try socket.setOption(option, value) }
    }

    /// Reads an integer option on the reactor thread. Throws ``NetError``.
    public func option(_ option: SocketOption) async throws -> Int32 {
        let socket = self.socket
        return try await reactor.submit { try socket.option(option) }
    }

    /// Joins a multicast group (see ``DatagramSocket/joinMulticastGroup(_:interface:)``).
    public func joinMulticastGroup(_ group: SocketAddress, interface: String? = nil) async throws {
        let socket = self.socket
        try await reactor.submit { try socket.joinMulticastGroup(group, interface: interface) }
    }

    /// Leaves a multicast group (see ``DatagramSocket/leaveMulticastGroup(_:interface:)``).
    public func leaveMulticastGroup(_ group: SocketAddress, interface: String? = nil) async throws {
        let socket = self.socket
        try await reactor.submit { try socket.leaveMulticastGroup(group, interface: interface) }
    }

    /// Multicast TTL / hop limit (see ``DatagramSocket/setMulticastTTL(_:)``).
    public func setMulticastTTL(_ hops: Int32) async throws {
        let socket = self.socket
        try await reactor.submit { try socket.setMulticastTTL(hops) }
    }

    /// Multicast loopback (see ``DatagramSocket/setMulticastLoop(_:)``).
    public func setMulticastLoop(_ enabled: Bool) async throws {
        let socket = self.socket
        try await reactor.submit { try socket.setMulticastLoop(enabled) }
    }

    /// The interface multicast leaves by (see ``DatagramSocket/setMulticastInterface(_:)``).
    public func setMulticastInterface(_ interface: String) async throws {
        let socket = self.socket
        try await reactor.submit { try socket.setMulticastInterface(interface) }
    }
}
