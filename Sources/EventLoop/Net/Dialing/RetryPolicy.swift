/// How a ``Dialer`` retries a dial whose every address failed to connect: exponential backoff
/// with jitter. Only connect failures (refused, unreachable, timed out) are retried; a bad
/// address, a failed name lookup or a cancelled task is not.
public struct RetryPolicy: Sendable, Hashable {
    /// Dial tries in all, the first included (1 = no retry).
    public var attempts: Int
    /// The delay before the first retry; each later one doubles it.
    public var baseDelay: Duration
    /// The longest delay between tries.
    public var maxDelay: Duration
    /// Randomise each delay to between half and all of its value, so many clients retrying at
    /// once spread out.
    public var jitter: Bool

    /// A policy; the defaults retry twice, after about 100 ms and 200 ms.
    public init(attempts: Int = 3, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5), jitter: Bool = true) {
        self.attempts = max(1, attempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// No retries.
    public static let none = RetryPolicy(attempts: 1)

    /// The delay before try number `retry` (1 for the first retry).
    public func delay(beforeRetry retry: Int) -> Duration {
        var delay = baseDelay
        for _ in 1..<max(1, retry) {
            delay = delay * 2
            if delay >= maxDelay { break }
        }
        delay = min(delay, maxDelay)
        guard jitter else { return delay }
        return delay * Double.random(in: 0.5...1.0)
    }
}
