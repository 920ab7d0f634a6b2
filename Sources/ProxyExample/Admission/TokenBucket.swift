/// A token bucket for a rate of events: it holds at most `max(1, rate)` tokens, gains `rate`
/// tokens per second, and each event takes one. Starts full.
///
/// A plain value: not thread-safe by itself (its owner serialises access). Times are
/// monotonic nanoseconds; a time earlier than the last one seen is treated as no time passing.
/// Every operation is O(1).
struct TokenBucket: Sendable {
    private(set) var tokens: Double
    private(set) var updated: UInt64

    /// The bucket size for `rate`: a burst of `rate` events, at least one.
    static func capacity(rate: Double) -> Double { max(1, rate) }

    /// A full bucket at time `now`.
    init(rate: Double, now: UInt64) {
        tokens = TokenBucket.capacity(rate: rate)
        updated = now
    }

    /// The tokens there would be at `now`.
    func tokens(at now: UInt64, rate: Double) -> Double {
        guard now > updated else { return tokens }
        let elapsed = Double(now - updated) / 1e9
        return min(TokenBucket.capacity(rate: rate), tokens + elapsed * rate)
    }

    /// Takes one token at `now` if there is one; returns whether it did.
    mutating func take(at now: UInt64, rate: Double) -> Bool {
        tokens = tokens(at: now, rate: rate)
        updated = max(updated, now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// True when the bucket has refilled completely by `now` (it then carries no state worth keeping).
    func isFull(at now: UInt64, rate: Double) -> Bool {
        tokens(at: now, rate: rate) >= TokenBucket.capacity(rate: rate)
    }
}
