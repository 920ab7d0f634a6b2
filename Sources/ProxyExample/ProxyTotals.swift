import EventLoop
import Synchronization

/// Counts for the final log line (the metrics page has the full picture). Thread-safe.
final class ProxyTotals: Sendable {
    private let accepted = Atomic<Int>(0)
    private let pairs = Atomic<Int>(0)
    private let connectFailures = Atomic<Int>(0)
    private let bytesUp = Atomic<UInt64>(0)
    private let bytesDown = Atomic<UInt64>(0)
    private let refusals = Locked<[RefusalReason: Int]>([:])

    func acceptedClient() { accepted.add(1, ordering: .relaxed) }
    func paired() { pairs.add(1, ordering: .relaxed) }
    func connectFailed() { connectFailures.add(1, ordering: .relaxed) }
    func refused(_ reason: RefusalReason) { refusals.withLock { $0[reason, default: 0] += 1 } }

    func ended(up: UInt64, down: UInt64) {
        bytesUp.add(up, ordering: .relaxed)
        bytesDown.add(down, ordering: .relaxed)
    }

    /// `accepted=… paired=… refused=… (reason=n …) upstream_failures=… bytes_up=… bytes_down=…`.
    var summary: String {
        let byReason = refusals.withLock { $0 }
        let refused = byReason.values.reduce(0, +)
        var text = "accepted=\(accepted.load(ordering: .relaxed)) paired=\(pairs.load(ordering: .relaxed)) refused=\(refused)"
        for reason in RefusalReason.allCases { if let count = byReason[reason] { text += " refused_\(reason.rawValue)=\(count)" } }
        text += " upstream_failures=\(connectFailures.load(ordering: .relaxed))"
        text += " bytes_up=\(bytesUp.load(ordering: .relaxed)) bytes_down=\(bytesDown.load(ordering: .relaxed))"
        return text
    }
}
