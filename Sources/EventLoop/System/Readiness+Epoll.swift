import CEventLoop

/// The one place where ``Readiness`` meets epoll's bits: branch-free selects, no allocation.
extension Readiness {
    /// The readiness epoll reported in `events`.
    @inline(__always)
    init(epollEvents events: UInt32) {
        var bits: UInt32 = 0
        bits |= events & UInt32(EPOLLIN.rawValue) != 0 ? Readiness.readable.rawValue : 0
        bits |= events & UInt32(EPOLLOUT.rawValue) != 0 ? Readiness.writable.rawValue : 0
        bits |= events & UInt32(EPOLLRDHUP.rawValue) != 0 ? Readiness.peerClosed.rawValue : 0
        bits |= events & UInt32(EPOLLHUP.rawValue) != 0 ? Readiness.hangUp.rawValue : 0
        bits |= events & UInt32(EPOLLERR.rawValue) != 0 ? Readiness.error.rawValue : 0
        self.init(rawValue: bits)
    }

    /// The epoll interest bits for this readiness (hang-up and error are always reported).
    @inline(__always)
    var epollEvents: UInt32 {
        var events: UInt32 = 0
        if contains(.readable) { events |= UInt32(EPOLLIN.rawValue) }
        if contains(.writable) { events |= UInt32(EPOLLOUT.rawValue) }
        if contains(.peerClosed) { events |= UInt32(EPOLLRDHUP.rawValue) }
        if contains(.edgeTriggered) { events |= UInt32(EPOLLET.rawValue) }
        return events
    }
}

/// The array epoll_wait fills, owned by the reactor's loop: it waits and hands out each ready
/// descriptor's token and ``Readiness``. Allocated once per loop; reactor thread only.
struct ReadyEvents: ~Copyable {
    private let events: UnsafeMutablePointer<epoll_event>
    private let capacity: Int32
    /// How many entries the last ``wait(on:timeoutMilliseconds:)`` filled.
    private(set) var count = 0

    /// Room for `capacity` events per wait.
    init(capacity: Int32) {
        self.capacity = capacity
        events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
    }

    deinit { events.deallocate() }

    /// Waits on `epoll` (EINTR and errors count as zero events, see ``Syscall/epollWait``).
    mutating func wait(on epoll: Int32, timeoutMilliseconds: Int32) {
        count = Syscall.epollWait(epoll, into: events, capacity: capacity, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The token registered for entry `index` (< ``count``).
    @inline(__always)
    func token(at index: Int) -> UInt64 { events[index].data.u64 }

    /// The readiness of entry `index` (< ``count``).
    @inline(__always)
    func readiness(at index: Int) -> Readiness { Readiness(epollEvents: events[index].events) }
}
