import EventLoop
import Glibc
import Logging

/// The upstreams, the balancing policy and their passive health. Thread-safe (one lock,
/// taken once per pick and once per outcome, never while connecting).
final class UpstreamPool: Sendable {
    private let state: Locked<[UpstreamState]>
    private let cursor = Locked<Int>(0)
    private let policy: BalancePolicy
    private let logger: Logger
    private let metrics: ProxyMetrics
    /// How many upstreams there are (fixed at start).
    let count: Int

    /// A pool of `upstreams` (label and resolved addresses), all considered up at start.
    init(_ upstreams: [(label: String, addresses: [SocketAddress])], policy: BalancePolicy, logger: Logger, metrics: ProxyMetrics) {
        state = Locked(upstreams.map { UpstreamState(label: $0.label, addresses: $0.addresses) })
        count = upstreams.count
        self.policy = policy
        self.logger = logger
        self.metrics = metrics
        for upstream in upstreams { metrics.upstreamState(upstream.label, up: true) }
    }

    /// A choice of upstream for one connect attempt.
    struct Pick: Sendable {
        let index: Int
        let label: String
        let addresses: [SocketAddress]
    }

    /// Picks an upstream not in `tried`: by the policy among those up; when none is up, the
    /// one whose back-off ended first as a probe (one probe at a time per upstream). Nil when
    /// there is nothing to try now.
    func pick(excluding tried: Set<Int>, now: UInt64 = UpstreamPool.now()) -> Pick? {
        let start = policy == .roundRobin ? cursor.withLock { value -> Int in
            value &+= 1
            return value
        } : 0
        return state.withLock { upstreams -> Pick? in
            let count = upstreams.count
            var best: Int?
            for offset in 0..<count {
                let index = (start &+ offset) % count
                guard !tried.contains(index), upstreams[index].isUp else { continue }
                switch policy {
                case .roundRobin:
                    best = index
                case .leastConn:
                    if best == nil || upstreams[index].active < upstreams[best!].active { best = index }
                }
                if policy == .roundRobin { break }
            }
            if best == nil {
                // Every candidate is down: probe the one whose back-off ended first.
                best = upstreams.indices
                    .filter { !tried.contains($0) && !upstreams[$0].probing && upstreams[$0].downUntil <= now }
                    .min { upstreams[$0].downUntil < upstreams[$1].downUntil }
                if let probe = best { upstreams[probe].probing = true }
            }
            guard let index = best else { return nil }
            upstreams[index].active += 1
            return Pick(index: index, label: upstreams[index].label, addresses: upstreams[index].addresses)
        }
    }

    /// The connect attempt on `pick` succeeded: the upstream is up (logged when it was down).
    func connected(_ pick: Pick) {
        let cameBack = state.withLock { upstreams -> Bool in
            let wasDown = !upstreams[pick.index].isUp
            upstreams[pick.index].failures = 0
            upstreams[pick.index].downUntil = 0
            upstreams[pick.index].probing = false
            return wasDown
        }
        if cameBack {
            logger.notice("upstream \(pick.label) is up")
            metrics.upstreamState(pick.label, up: true)
        }
    }

    /// The connect attempt on `pick` failed: the upstream is down for its back-off period.
    func failed(_ pick: Pick, error: any Error, now: UInt64 = UpstreamPool.now()) {
        let (wentDown, backoff) = state.withLock { upstreams -> (Bool, UInt64) in
            let wasUp = upstreams[pick.index].isUp
            upstreams[pick.index].failures += 1
            upstreams[pick.index].active -= 1
            upstreams[pick.index].probing = false
            let backoff = UpstreamState.backoff(afterFailures: upstreams[pick.index].failures)
            upstreams[pick.index].downUntil = now &+ backoff
            return (wasUp, backoff)
        }
        if wentDown {
            logger.warning("upstream \(pick.label) is down for \(Double(backoff) / 1e9) s: \(error)")
            metrics.upstreamState(pick.label, up: false)
        }
    }

    /// A pair through `pick` has ended.
    func released(_ pick: Pick) {
        state.withLock { $0[pick.index].active -= 1 }
    }

    /// Monotonic nanoseconds.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
