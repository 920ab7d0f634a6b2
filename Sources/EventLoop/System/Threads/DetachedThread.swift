import CEventLoop
import Glibc

/// A named OS thread that nobody joins: it ends when its body returns. For short-lived
/// helper threads (the resolver's), where the caller does not wait for the end.
enum DetachedThread {
    private final class Box {
        let name: String
        let body: () -> Void
        init(name: String, _ body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new detached thread named `name` (cut to the kernel's 15 characters).
    /// Returns 0, or the errno of `pthread_create` (EAGAIN when the process has too many
    /// threads), in which case `body` does not run.
    ///
    /// The thread names itself: a detached thread may already have ended by the time
    /// `pthread_create` returns, and its handle must not be used after that.
    static func start(name: String, _ body: @escaping () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let box = Unmanaged.passRetained(Box(name: String(name.prefix(15)), body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, &attributes, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            _ = cel_set_thread_name(pthread_self(), box.name)
            box.body()
            return nil
        }, box)
        if result != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            return result
        }
        return 0
    }
}
