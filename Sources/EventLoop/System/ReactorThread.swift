import CEventLoop
import Glibc

/// A joinable OS thread with a name, for reactors. Only `start` and `join` touch pthreads.
///
/// The thread blocks SIGPIPE in its own signal mask (the process's disposition is untouched):
/// splice(2) into a socket whose peer is gone raises SIGPIPE at the calling thread, having no
/// MSG_NOSIGNAL, and a reactor thread must get EPIPE instead of ending the process. See
/// ``Syscall/discardPendingSIGPIPE()``.
final class ReactorThread {
    private var handle: pthread_t = 0

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread named `name` (cut to the kernel's 15 characters).
    init(name: String, _ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let result = pthread_create(&handle, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            Syscall.blockSIGPIPEOnThisThread()
            box.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(Errno.name(result))")
        _ = cel_set_thread_name(handle, String(name.prefix(15)))
    }

    /// Waits for the thread to end. Call once, never from the thread itself.
    func join() {
        _ = pthread_join(handle, nil)
    }

    /// The calling thread's id, for cheap "am I on this reactor" checks.
    @inline(__always)
    static var currentID: UInt { UInt(pthread_self()) }
}
