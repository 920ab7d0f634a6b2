import Glibc

/// A point on the monotonic clock (CLOCK_MONOTONIC), in nanoseconds.
///
/// Deadlines are immune to wall-clock changes. `Sendable`, `Comparable`; arithmetic saturates
/// instead of overflowing, so `Deadline.now + .seconds(1_000_000_000)` is simply far away.
public struct Deadline: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds since an arbitrary, fixed origin (the system's boot).
    public let nanoseconds: UInt64

    /// A deadline at `nanoseconds` on the monotonic clock.
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The current time. One vDSO call, no syscall.
    public static var now: Deadline { Deadline(nanoseconds: Syscall.monotonicNanoseconds()) }

    /// A deadline that never comes.
    public static let distantFuture = Deadline(nanoseconds: .max)

    /// `duration` from now.
    public static func after(_ duration: Duration) -> Deadline { .now + duration }

    /// Whether `lhs` comes before `rhs` on the monotonic clock. O(1).
    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The deadline moved by `duration` (saturating at 0 and at ``distantFuture``).
    public static func + (lhs: Deadline, rhs: Duration) -> Deadline {
        let delta = rhs.nanosecondsSaturated
        if delta >= 0 {
            let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(UInt64(delta))
            return Deadline(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = UInt64(-(delta + 1)) + 1
        return Deadline(nanoseconds: lhs.nanoseconds > magnitude ? lhs.nanoseconds - magnitude : 0)
    }

    /// The deadline moved back by `duration`.
    public static func - (lhs: Deadline, rhs: Duration) -> Deadline { lhs + (.zero - rhs) }

    /// The time from `rhs` to `lhs` (negative when `lhs` is earlier).
    public static func - (lhs: Deadline, rhs: Deadline) -> Duration {
        lhs >= rhs ? .nanoseconds(Int64(clamping: lhs.nanoseconds - rhs.nanoseconds))
                   : .zero - .nanoseconds(Int64(clamping: rhs.nanoseconds - lhs.nanoseconds))
    }

    /// True once the deadline has passed.
    public var hasPassed: Bool { nanoseconds <= Syscall.monotonicNanoseconds() }

    /// `Deadline(+12.345678s)` relative to now.
    public var description: String {
        let delta = Int64(bitPattern: nanoseconds &- Syscall.monotonicNanoseconds())
        return "Deadline(\(delta >= 0 ? "+" : "")\(Double(delta) / 1e9)s)"
    }
}

extension Duration {
    /// The duration in whole nanoseconds, at least 1: a timeout or tick of zero (or less)
    /// still means "at the next chance", never "never".
    var positiveNanoseconds: UInt64 {
        UInt64(max(1, nanosecondsSaturated))
    }

    /// The duration in whole nanoseconds, clamped to the Int64 range.
    var nanosecondsSaturated: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (seconds < 0 ? .min : .max) : sum
    }
}
