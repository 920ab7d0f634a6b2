/// Per-address state for the per-IP limits: open connections and the rate bucket.
///
/// Bounded: an address is kept only while it has an open connection or a bucket that has not
/// refilled (so a burst of new clients is forgotten about `max(1, rate) / rate` seconds after
/// it ends), and never more than `capacity` addresses. Stale entries are swept when the table
/// grows to twice its size after the last sweep, so sweeping is amortised O(1) per admission;
/// when the table is at capacity it is swept at most once per `fullSweepInterval`. When it is
/// full of live addresses, a new address is refused (``Outcome/full``) rather than admitted
/// untracked, so the per-IP limits can never be bypassed; addresses already tracked are
/// unaffected.
///
/// A plain value: not thread-safe by itself (``AdmissionControl`` keeps it under its lock).
struct ClientTable {
    /// One tracked address.
    struct Entry {
        var open: Int
        var bucket: TokenBucket
    }

    /// What ``admit(_:now:)`` decided.
    enum Outcome: Equatable {
        case admitted
        case tooManyConnections
        case rateExceeded
        case full
    }

    /// Most connections open at once from one address (nil: no limit).
    let maxOpen: Int?
    /// New connections per second from one address (nil: no limit).
    let rate: Double?
    /// Most addresses tracked at once.
    let capacity: Int
    /// Least time between two sweeps of a full table, in nanoseconds.
    let fullSweepInterval: UInt64

    private(set) var entries: [ClientAddress: Entry] = [:]
    private var sweepAt: Int
    private var lastFullSweep: UInt64?

    private static let minimumSweepSize = 1024

    init(maxOpen: Int?, rate: Double?, capacity: Int, fullSweepInterval: UInt64 = 100_000_000) {
        self.maxOpen = maxOpen
        self.rate = rate
        self.capacity = max(1, capacity)
        self.fullSweepInterval = fullSweepInterval
        sweepAt = min(self.capacity, ClientTable.minimumSweepSize)
    }

    /// Counts a new connection from `client` at `now` if the per-IP limits allow it: first the
    /// open-connection limit, then the rate (a refused client takes no token). Amortised O(1).
    mutating func admit(_ client: ClientAddress, now: UInt64) -> Outcome {
        var entry: Entry
        if let existing = entries[client] {
            entry = existing
        } else {
            if entries.count >= sweepAt { sweep(now: now) }
            guard entries.count < capacity else { return .full }
            entry = Entry(open: 0, bucket: TokenBucket(rate: rate ?? 1, now: now))
        }
        if let maxOpen, entry.open >= maxOpen {
            return .tooManyConnections
        }
        if let rate, !entry.bucket.take(at: now, rate: rate) {
            entries[client] = entry
            return .rateExceeded
        }
        entry.open += 1
        entries[client] = entry
        return .admitted
    }

    /// A connection from `client` closed; forgets the address when nothing is left to remember. O(1).
    mutating func release(_ client: ClientAddress, now: UInt64) {
        guard var entry = entries[client] else { return }
        entry.open = max(0, entry.open - 1)
        if isStale(entry, now: now) {
            entries[client] = nil
        } else {
            entries[client] = entry
        }
    }

    /// Drops every stale entry (no open connection, full bucket). O(count).
    mutating func sweep(now: UInt64) {
        if entries.count >= capacity, let last = lastFullSweep, now >= last, now - last < fullSweepInterval { return }
        entries = entries.filter { !isStale($0.value, now: now) }
        sweepAt = min(capacity, max(ClientTable.minimumSweepSize, entries.count * 2))
        lastFullSweep = entries.count >= capacity ? now : nil
    }

    private func isStale(_ entry: Entry, now: UInt64) -> Bool {
        guard entry.open == 0 else { return false }
        guard let rate else { return true }
        return entry.bucket.isFull(at: now, rate: rate)
    }
}
