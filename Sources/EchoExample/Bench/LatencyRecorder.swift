import EventLoop
import Histogram
import Synchronization

/// Message latencies and counts of a load run, one shard per reactor: the connections of a
/// reactor record into its shard on that thread (an uncontended lock), the progress line and
/// the final report read them from another.
final class LatencyRecorder: Sendable {
    /// Latencies are recorded in nanoseconds up to this; longer ones count as this.
    static let highestLatency: UInt64 = 60_000_000_000

    /// What one shard has recorded.
    struct Shard: Sendable {
        /// Latencies of the messages completed inside the measured window.
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: LatencyRecorder.highestLatency,
                                          numberOfSignificantValueDigits: .three)
        /// Messages completed in the measured window.
        var measured = 0
        /// Messages completed in all (warm-up and the drain at the end included).
        var completed = 0
    }

    /// One shard behind its lock.
    private final class LockedShard: Sendable {
        let state = Locked(Shard())
    }

    private let reactors: [Reactor]
    private let shards: [LockedShard]
    /// Completions at or after this (monotonic ns) are measured …
    let measureFrom: UInt64
    /// … and before this.
    let measureUntil: UInt64

    /// A recorder for the reactors of `group` that measures completions in `from ..< until`.
    init(group: ReactorGroup, measuring from: Deadline, until: Deadline) {
        reactors = group.reactors
        shards = group.reactors.map { _ in LockedShard() }
        measureFrom = from.nanoseconds
        measureUntil = until.nanoseconds
    }

    /// The shard index of `reactor`'s connections.
    func shardIndex(for reactor: Reactor) -> Int {
        reactors.firstIndex { $0 === reactor } ?? 0
    }

    /// Records `count` messages completed at `now` (monotonic ns), each sent at the matching
    /// entry of `sentAt`.
    func record(shard index: Int, completedAt now: UInt64, sentAt: some Collection<UInt64>) {
        let measured = now >= measureFrom && now < measureUntil
        shards[index].state.withLock { shard in
            shard.completed += sentAt.count
            guard measured else { return }
            shard.measured += sentAt.count
            for sent in sentAt {
                shard.histogram.record(min(now &- sent, LatencyRecorder.highestLatency))
            }
        }
    }

    /// Messages completed so far, all shards (for the progress line).
    var completed: Int { shards.reduce(0) { sum, shard in sum + shard.state.withLock { $0.completed } } }

    /// Every shard merged.
    func merged() -> Shard {
        var total = Shard()
        for shard in shards {
            let part = shard.state.withLock { $0 }
            total.histogram.add(part.histogram)
            total.measured += part.measured
            total.completed += part.completed
        }
        return total
    }
}
