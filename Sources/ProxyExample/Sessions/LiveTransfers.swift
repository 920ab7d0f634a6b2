import EventLoop

/// The byte counts of open pairs, folded into `proxy_bytes_total` while they run, so that a
/// long transfer shows on the metrics page before it ends.
///
/// The relay itself is not touched: every socket already keeps its own byte counters (plain
/// stores by its reactor thread). ``fold()`` (run every half second) reads them and adds the
/// difference since its last fold to the upstream's counters; when a pair ends, ``closed(_:)``
/// says how much was folded already, so the end adds only the rest. Cost per pair: one lock
/// on a shard at open and at close; nothing per byte.
///
/// Thread-safe: the pairs are sharded by id over a few locks.
final class LiveTransfers: Sendable {
    /// One open pair. `client`'s written bytes went upstream→client, `upstream`'s written
    /// bytes client→upstream; the bases are the counts when the relay started.
    private struct Entry {
        let client: TCPConn
        let upstream: TCPConn
        let metrics: UpstreamMetrics
        let upBase: UInt64
        let downBase: UInt64
        var reportedUp: UInt64 = 0
        var reportedDown: UInt64 = 0

        var up: UInt64 { upstream.socket.bytesWritten &- upBase }
        var down: UInt64 { client.socket.bytesWritten &- downBase }
    }

    private static let shardCount = 16
    private let shards: [Locked<[UInt64: Entry]>] = (0..<LiveTransfers.shardCount).map { _ in Locked([:]) }

    /// Pair `id` (unique while open) starts relaying between `client` and `upstream`.
    func opened(_ id: UInt64, client: TCPConn, upstream: TCPConn, metrics: UpstreamMetrics) {
        let entry = Entry(client: client, upstream: upstream, metrics: metrics,
                          upBase: upstream.socket.bytesWritten, downBase: client.socket.bytesWritten)
        shards[Int(id % UInt64(Self.shardCount))].withLock { $0[id] = entry }
    }

    /// Pair `id` has ended: forgets it and returns the bytes already added to the metrics each
    /// way (zero for an id not open).
    func closed(_ id: UInt64) -> (up: UInt64, down: UInt64) {
        let entry = shards[Int(id % UInt64(Self.shardCount))].withLock { $0.removeValue(forKey: id) }
        return (entry?.reportedUp ?? 0, entry?.reportedDown ?? 0)
    }

    /// Adds what every open pair moved since the last fold to its upstream's byte counters.
    /// O(open pairs); each shard's lock is held only while its pairs are read.
    func fold() {
        for shard in shards {
            shard.withLock { entries in
                // Through `values` by index: updating an entry neither copies the table nor
                // moves the other entries.
                var index = entries.startIndex
                while index != entries.endIndex {
                    let entry = entries.values[index]
                    let (up, down) = (entry.up, entry.down)
                    if up > entry.reportedUp || down > entry.reportedDown {
                        entry.metrics.bytes(clientToUpstream: up &- min(up, entry.reportedUp),
                                            upstreamToClient: down &- min(down, entry.reportedDown))
                        entries.values[index].reportedUp = max(up, entry.reportedUp)
                        entries.values[index].reportedDown = max(down, entry.reportedDown)
                    }
                    entries.formIndex(after: &index)
                }
            }
        }
    }

    /// Pairs open now (for tests).
    var count: Int { shards.reduce(0) { $0 + $1.withLock { $0.count } } }
}
