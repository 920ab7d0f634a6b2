/// What a registered descriptor is ready for, or watched for: the reactor's own vocabulary for
/// readiness, independent of epoll. The translation to and from epoll's bits lives in
/// `System/` only (a few bit operations, no allocation).
struct Readiness: OptionSet, Sendable, Equatable {
    let rawValue: UInt32

    @inline(__always)
    init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Data (or a connection, or end of stream) can be read.
    static let readable = Readiness(rawValue: 1 << 0)
    /// Data can be written.
    static let writable = Readiness(rawValue: 1 << 1)
    /// The peer shut down its writing side (our read side sees end of stream).
    static let peerClosed = Readiness(rawValue: 1 << 2)
    /// Both directions are hung up.
    static let hangUp = Readiness(rawValue: 1 << 3)
    /// An error is pending on the descriptor (read it with the next call or SO_ERROR).
    static let error = Readiness(rawValue: 1 << 4)
    /// As interest: report changes as edges (the reactor registers everything this way).
    static let edgeTriggered = Readiness(rawValue: 1 << 5)

    /// Any sign that the peer or the connection went away: the next read or write reports it.
    static let closedOrFailed: Readiness = [.peerClosed, .hangUp, .error]
}

/// One descriptor's registration with a reactor: the descriptor, the token the reactor's
/// events carry for it (slot index and generation, see ``Reactor/register(fd:interest:handler:)``)
/// and what it is watched for. Every socket type holds one instead of its own fd and token.
/// Reactor thread only, like the socket that holds it.
struct Registration {
    /// The descriptor; -1 once closed.
    var fd: Int32
    /// Slot index in the low 32 bits, the slot's generation in the high 32 bits; 0 when not
    /// registered (token 0 is the reactor's wake-up descriptor).
    var token: UInt64
    /// What the descriptor is watched for (without ``Readiness/edgeTriggered``, which the
    /// reactor always adds).
    var interest: Readiness

    /// A descriptor not registered (yet).
    init(unregistered fd: Int32) {
        self.fd = fd
        token = 0
        interest = []
    }

    init(fd: Int32, token: UInt64, interest: Readiness) {
        self.fd = fd
        self.token = token
        self.interest = interest
    }

    /// True until the descriptor is closed.
    var isOpen: Bool { fd >= 0 }
}
