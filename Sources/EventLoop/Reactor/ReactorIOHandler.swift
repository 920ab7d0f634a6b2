/// Something registered with a reactor's epoll: it receives readiness events and is told
/// when the reactor stops. Both calls happen on the reactor thread only.
protocol ReactorIOHandler: AnyObject {
    /// Readiness from epoll (`EPOLLIN`, `EPOLLOUT`, `EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR` bits).
    func handleEvents(_ events: UInt32)
    /// The reactor is shutting down: close the descriptor and fail whatever is pending.
    func reactorStopped()
}
