import EventLoop
import Glibc
import Logging

/// The upstreams, the balancing policy and their passive health. Thread-safe (one lock,
/// taken once per pick and once per outcome, never while connecting).
final class UpstreamPool: Sendable {
    /// The upstreams, and the round-robin cursor, under one lock.
    let state: Locked<State>
    private let policy: BalancePolicy
    private let logger: Logger
    /// How many upstreams there are (fixed at start).
    let count: Int

    /// A pool of `upstreams` (label and resolved addresses), all considered up at start; each
    /// upstream's metric objects come from `metrics` once, here.
    init(_ upstreams: [(label: String, addresses: [SocketAddress])], policy: BalancePolicy, logger: Logger, metrics: ProxyMetrics) {
        let states = upstreams.map {
            UpstreamState(label: $0.label, addresses: $0.addresses, metrics: metrics.upstreamMetrics($0.label))
        }
        for upstream in states { upstream.metrics.setUp(true) }
        state = Locked(State(upstreams: states))
        count = upstreams.count
        self.policy = policy
        self.logger = logger
    }

    struct State {
        var upstreams: [UpstreamState]
        var cursor = 0
    }

    /// A choice of upstream for one connect attempt.
    struct Pick: Sendable {
        /// The pool it was picked from, which its outcome is reported to.
        let pool: UpstreamPool
        let index: Int
        let label: String
        let addresses: [SocketAddress]
        /// The upstream's metric objects.
        let metrics: UpstreamMetrics
    }

    /// Picks an upstream not in `tried`: by the policy among those up; when none is up, the
    /// one whose back-off ended first as a probe (one probe at a time per upstream). Nil when
    /// there is nothing to try now.
    func pick(excluding tried: UpstreamIndexSet, now: UInt64 = UpstreamPool.now()) -> Pick? {
        state.withLock { state -> Pick? in
            var start = 0
            if policy == .roundRobin {
                state.cursor &+= 1
                start = state.cursor
            }
            guard let index = Self.pick(in: &state.upstreams, from: start, excluding: tried, policy: policy, now: now) else {
                return nil
            }
            return Pick(pool: self, index: index, label: state.upstreams[index].label,
                        addresses: state.upstreams[index].addresses, metrics: state.upstreams[index].metrics)
        }
    }

    /// The choice itself, under the lock.
    private static func pick(in upstreams: inout [UpstreamState], from start: Int, excluding tried: UpstreamIndexSet,
                             policy: BalancePolicy, now: UInt64) -> Int? {
        let count = upstreams.count
        var best: Int?
        for offset in 0..<count {
            let index = (start &+ offset) % count
            guard !tried.contains(index), upstreams[index].inRotation else { continue }
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
                .filter { !tried.contains($0) && upstreams[$0].healthy && !upstreams[$0].probing && upstreams[$0].downUntil <= now }
                .min { upstreams[$0].downUntil < upstreams[$1].downUntil }
            if let probe = best { upstreams[probe].probing = true }
        }
        guard let index = best else { return nil }
        upstreams[index].active += 1
        return index
    }

    /// The connect attempt on `pick` succeeded: the upstream is up (logged when it was down).
    func connected(_ pick: Pick) {
        let cameBack = state.withLock { state -> Bool in
            let wasDown = !state.upstreams[pick.index].isUp
            state.upstreams[pick.index].failures = 0
            state.upstreams[pick.index].downUntil = 0
            state.upstreams[pick.index].probing = false
            return wasDown
        }
        if cameBack {
            logger.notice("upstream \(pick.label) is up")
            pick.metrics.setUp(true)
        }
    }

    /// The connect attempt on `pick` failed: the upstream is down for its back-off period.
    func failed(_ pick: Pick, error: any Error, now: UInt64 = UpstreamPool.now()) {
        let (wentDown, backoff) = state.withLock { state -> (Bool, UInt64) in
            let wasUp = state.upstreams[pick.index].isUp
            state.upstreams[pick.index].failures += 1
            state.upstreams[pick.index].active -= 1
            state.upstreams[pick.index].probing = false
            let backoff = UpstreamState.backoff(afterFailures: state.upstreams[pick.index].failures)
            state.upstreams[pick.index].downUntil = now &+ backoff
            return (wasUp, backoff)
        }
        if wentDown {
            logger.warning("upstream \(pick.label) is down for \(Double(backoff) / 1e9) s: \(error)")
            pick.metrics.setUp(false)
        }
    }

    /// A pair through `pick` has ended.
    func released(_ pick: Pick) {
        state.withLock { $0.upstreams[pick.index].active -= 1 }
    }

    /// Monotonic nanoseconds.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
