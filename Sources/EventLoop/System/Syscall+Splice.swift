import CEventLoop
import Glibc

extension Syscall {
    /// A non-blocking, close-on-exec pipe: (read end, write end). Throws ``NetError`` (`pipe`).
    static func pipe() throws(NetError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try retrying("pipe") { fds.withUnsafeMutableBufferPointer { cel_pipe2($0.baseAddress, O_NONBLOCK | O_CLOEXEC) } }
        return (fds[0], fds[1])
    }

    /// Asks for a pipe buffer of `bytes` (rounded by the kernel); returns the size granted, or
    /// nil when the kernel refused (the pipe keeps its default size).
    static func setPipeSize(_ fd: Int32, bytes: Int32) -> Int? {
        let granted = cel_pipe_set_size(fd, bytes)
        return granted > 0 ? Int(granted) : nil
    }

    /// Moves up to `count` bytes from `source` to `destination` inside the kernel (one of them
    /// a pipe), non-blocking: `.processed(n)` (0 at end of stream) or `.wouldBlock`. Errors name
    /// `operation` and `endpoints` (the socket's).
    ///
    /// SIGPIPE: splice has no MSG_NOSIGNAL, so splicing into a socket that can no longer send
    /// raises SIGPIPE at the calling thread as well as failing with EPIPE. Reactor threads block
    /// SIGPIPE (``ReactorThread``), and this call discards the pending signal on EPIPE: the
    /// caller sees the typed error only. On a thread that does not block SIGPIPE the signal is
    /// delivered after the process's disposition.
    @inline(__always)
    static func splice(from source: Int32, to destination: Int32, count: Int, operation: String,
                       at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        do {
            return try spliceOnce(from: source, to: destination, count: count, operation: operation, at: endpoints())
        } catch {
            if error.errno == EPIPE { discardPendingSIGPIPE() }
            throw error
        }
    }

    @inline(__always)
    private static func spliceOnce(from source: Int32, to destination: Int32, count: Int, operation: String,
                                   at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        try nonBlocking(operation, endpoints()) {
            #if EVENTLOOP_FAULT_INJECTION
            switch FaultInjection.splice(source, count: count) ?? FaultInjection.splice(destination, count: count) {
            case .fail(let code)?: errno = code; return -1
            case .limit(let bytes)?: return cel_splice(source, destination, bytes, CEL_SPLICE_F_MOVE | CEL_SPLICE_F_NONBLOCK)
            case nil: break
            }
            #endif
            return cel_splice(source, destination, count, CEL_SPLICE_F_MOVE | CEL_SPLICE_F_NONBLOCK)
        }
    }
}
