import EventLoop
import Glibc
import Logging
import Synchronization

/// Says, at most once a second, that the process ran out of fds (accepting pauses and retries;
/// a dial that fails this way is given up).
public final class ResourceWarning: Sendable {
    private let fdLimit: Int
    private let logger: Logger
    private let lastReport = Locked<timespec?>(nil)

    /// A warning that names the process's fd limit and goes to `logger`.
    public init(fdLimit: Int, logger: Logger) {
        self.fdLimit = fdLimit
        self.logger = logger
    }

    /// Logs `error` (EMFILE and the like) unless a warning was logged less than a second ago.
    public func report(_ error: NetError) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let due = lastReport.withLock { last -> Bool in
            if let last, now.tv_sec - last.tv_sec < 1 { return false }
            last = now
            return true
        }
        guard due else { return }
        // The debug form names the errno (`too many open files (EMFILE)`) for operators to grep.
        logger.warning("\(error.debugDescription): at the fd limit (\(fdLimit)); accepting pauses and retries")
    }
}
