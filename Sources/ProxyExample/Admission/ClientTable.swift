/// Per-address state for the per-IP limits: open connections and the rate bucket.
///
/// Bounded: never more than `capacity` addresses. An address whose entry carries nothing (no
/// open connection, a full bucket) is forgotten as soon as it is seen so. The other idle
/// entries (no open connection, a bucket still refilling) stay on a list in the order they
/// were last used; when a new address finds the table full, the one used longest ago is
/// evicted to make room (it then starts with a full bucket if it comes back). An address with
/// an open connection is never evicted: when every entry has one, a new address is refused
/// (``Outcome/full``) rather than admitted untracked, so the per-IP limits cannot be bypassed;
/// addresses already tracked are unaffected.
///
/// Every operation is O(1) (amortised: one dictionary access, a few list links). A plain
/// value: not thread-safe by itself (``AdmissionControl`` keeps it under its lock).
struct ClientTable {
    /// One tracked address, and its links in the idle list (slot numbers; `none` at the ends).
    private struct Entry {
        var client: ClientAddress
        var open: Int
        var bucket: TokenBucket
        var older = Entry.none
        var newer = Entry.none
        var isIdle = false

        static let none = -1
    }

    /// What ``admit(_:now:)`` decided.
    enum Outcome: Equatable {
        case admitted
        case tooManyConnections
        case rateExceeded
        case full
    }

    /// Most connections open at once from one address (nil: no limit).
    private(set) var maxOpen: Int?
    /// New connections per second from one address (nil: no limit).
    private(set) var rate: Double?
    /// Most addresses tracked at once.
    private(set) var capacity: Int

    private var slots: [ClientAddress: Int] = [:]
    private var entries: [Entry] = []
    private var freeSlots: [Int] = []
    /// The idle list: `oldest` was used longest ago.
    private var oldest = Entry.none
    private var newest = Entry.none

    init(maxOpen: Int?, rate: Double?, capacity: Int) {
        self.maxOpen = maxOpen
        self.rate = rate
        self.capacity = max(1, capacity)
    }

    /// Addresses tracked now.
    var count: Int { slots.count }

    /// New limits for the addresses tracked and to come (a reload): the open counts are kept,
    /// so a lower `maxOpen` refuses an address until enough of its connections have closed;
    /// the buckets keep their tokens and refill at the new `rate`; a smaller `capacity` takes
    /// no entry away, it only admits no new address until the table has shrunk below it. O(1).
    mutating func reconfigure(maxOpen: Int?, rate: Double?, capacity: Int) {
        self.maxOpen = maxOpen
        self.rate = rate
        self.capacity = max(1, capacity)
    }

    /// Whether `client` is tracked now.
    func contains(_ client: ClientAddress) -> Bool { slots[client] != nil }

    /// Counts a new connection from `client` at `now` if the per-IP limits allow it: first the
    /// open-connection limit, then the rate (a refused client takes no token, and a refusal
    /// counts as a use for the eviction order). A new address evicts the least recently used
    /// idle entry when the table is full, or is refused when no entry is idle. O(1) amortised.
    mutating func admit(_ client: ClientAddress, now: UInt64) -> Outcome {
        let slot: Int
        if let existing = slots[client] {
            slot = existing
        } else {
            dropStaleOldest(now: now)
            if slots.count >= capacity {
                guard oldest != Entry.none else { return .full }
                remove(oldest)
            }
            slot = insert(client, now: now)
        }
        if let maxOpen, entries[slot].open >= maxOpen {
            return .tooManyConnections
        }
        if let rate, !entries[slot].bucket.take(at: now, rate: rate) {
            if entries[slot].isIdle { unlinkIdle(slot); linkIdle(slot) }
            return .rateExceeded
        }
        if entries[slot].isIdle { unlinkIdle(slot) }
        entries[slot].open += 1
        return .admitted
    }

    /// A connection from `client` closed: the address becomes idle (the most recently used)
    /// when it has nothing open, and is forgotten when nothing is left to remember. O(1).
    mutating func release(_ client: ClientAddress, now: UInt64) {
        guard let slot = slots[client] else { return }
        entries[slot].open = max(0, entries[slot].open - 1)
        guard entries[slot].open == 0 else { return }
        if isStale(entries[slot], now: now) {
            remove(slot)
        } else if !entries[slot].isIdle {
            linkIdle(slot)
        }
    }

    /// Forgets the idle entries at the old end of the list that carry nothing any more (each
    /// entry is dropped once, so this is amortised O(1) per admission).
    private mutating func dropStaleOldest(now: UInt64) {
        while oldest != Entry.none && isStale(entries[oldest], now: now) { remove(oldest) }
    }

    private func isStale(_ entry: Entry, now: UInt64) -> Bool {
        guard entry.open == 0 else { return false }
        guard let rate else { return true }
        return entry.bucket.isFull(at: now, rate: rate)
    }

    /// A new entry for `client` (no connection yet, a full bucket), in a free slot. Not on the
    /// idle list: the caller admits or refuses it at once.
    private mutating func insert(_ client: ClientAddress, now: UInt64) -> Int {
        let entry = Entry(client: client, open: 0, bucket: TokenBucket(rate: rate ?? 1, now: now))
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            entries[slot] = entry
        } else {
            slot = entries.count
            entries.append(entry)
        }
        slots[client] = slot
        return slot
    }

    private mutating func remove(_ slot: Int) {
        if entries[slot].isIdle { unlinkIdle(slot) }
        slots[entries[slot].client] = nil
        freeSlots.append(slot)
    }

    /// Puts `slot` at the new end of the idle list.
    private mutating func linkIdle(_ slot: Int) {
        entries[slot].isIdle = true
        entries[slot].older = newest
        entries[slot].newer = Entry.none
        if newest != Entry.none { entries[newest].newer = slot } else { oldest = slot }
        newest = slot
    }

    private mutating func unlinkIdle(_ slot: Int) {
        let (older, newer) = (entries[slot].older, entries[slot].newer)
        if older != Entry.none { entries[older].newer = newer } else { oldest = newer }
        if newer != Entry.none { entries[newer].older = older } else { newest = older }
        entries[slot].isIdle = false
        entries[slot].older = Entry.none
        entries[slot].newer = Entry.none
    }
}
