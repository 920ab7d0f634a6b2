/// Something registered with a reactor's epoll: it receives readiness events and is told
/// when the reactor stops. Both calls happen on the reactor thread only.
protocol ReactorIOHandler: AnyObject {
    /// The descriptor became ready (readable, writable, peer closed, hang-up, error), or a
    /// redispatch the handler asked for (``Reactor/dispatchAgainNextPass(_:_:)``).
    func handleEvents(_ events: Readiness)
    /// The reactor is shutting down: close the descriptor and fail whatever is pending.
    func reactorStopped()
}
