import EventLoop
import Glibc
import Synchronization

/// Says, at most once a second, that connections wait because the process ran out of fds.
final class ResourceWarning: Sendable {
    private let fdLimit: Int
    private let lastReport = Mutex<timespec?>(nil)

    init(fdLimit: Int) { self.fdLimit = fdLimit }

    func report(_ error: NetError) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let due = lastReport.withLock { last -> Bool in
            if let last, now.tv_sec - last.tv_sec < 1 { return false }
            last = now
            return true
        }
        guard due else { return }
        standardError("warning: \(error); accepting paused at the fd limit (\(fdLimit)), retrying\n")
    }
}

/// Writes `text` to standard error, unbuffered.
func standardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
}
