import EventLoop

/// One upstream server and its passive health: connect failures mark it down for a back-off
/// period (1 s, doubling to 30 s while failures go on); a success marks it up again. While it
/// is down it is skipped, except for one probe at a time once its back-off has passed.
/// The mutable state lives in ``UpstreamPool``'s lock.
struct UpstreamState {
    /// The address as configured (also the metrics and log label).
    let label: String
    /// The addresses it resolved to at start.
    let addresses: [SocketAddress]
    /// Its metric objects (looked up once, not per connection).
    let metrics: UpstreamMetrics
    /// Pairs open through it now (least-conn balancing).
    var active = 0
    /// Consecutive connect failures.
    var failures = 0
    /// Monotonic ns before which it is not tried again (0: up).
    var downUntil: UInt64 = 0
    /// A connect attempt is in flight while it is down (the probe).
    var probing = false
    /// The active health checks' verdict (``UpstreamPool/healthProbed(_:result:)``); false
    /// takes it out of rotation whatever the passive state says. Always true without checks.
    var healthy = true

    static let firstBackoff: UInt64 = 1_000_000_000
    static let maxBackoff: UInt64 = 30_000_000_000

    var isUp: Bool { failures == 0 }

    /// Clients may be sent to it: passively up and not failed by the active checks.
    var inRotation: Bool { isUp && healthy }

    /// The back-off after `failures` consecutive failures.
    static func backoff(afterFailures failures: Int) -> UInt64 {
        let shift = min(failures - 1, 5)
        return min(firstBackoff << UInt64(max(shift, 0)), maxBackoff)
    }
}
