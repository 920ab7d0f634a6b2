/// The upstreams one client has tried, by index: a bit mask for the first 64 upstreams (no
/// allocation per client), a set beyond that. O(1) membership and insertion.
struct UpstreamIndexSet: ExpressibleByArrayLiteral, Sendable {
    private var mask: UInt64 = 0
    private var beyondMask: Set<Int> = []

    /// An empty set.
    init() {}

    /// A set of `indices` (non-negative).
    init(arrayLiteral indices: Int...) {
        for index in indices { insert(index) }
    }

    /// How many indices are in the set.
    var count: Int { mask.nonzeroBitCount + beyondMask.count }

    /// True when `index` is in the set.
    func contains(_ index: Int) -> Bool {
        index < 64 ? mask & (1 << UInt64(index)) != 0 : beyondMask.contains(index)
    }

    /// Adds `index` (non-negative); nothing changes when it is in already.
    mutating func insert(_ index: Int) {
        if index < 64 { mask |= 1 << UInt64(index) } else { beyondMask.insert(index) }
    }

    /// Empties the set.
    mutating func removeAll() {
        mask = 0
        beyondMask.removeAll()
    }
}
