import EventLoop
import ServiceLifecycle

/// A `ReactorGroup` as a swift-service-lifecycle `Service`: `run()` waits until the service
/// is told to shut down gracefully (or its task is cancelled), then shuts the group down and
/// returns once its reactor threads have ended.
///
/// Put it before the servers that use the group in the `ServiceGroup`'s list: a group shuts
/// its services down in reverse order, so the servers drain first and the reactors stop last.
/// Thread safety: a value type over the thread-safe group.
public struct ReactorGroupService: Service {
    /// The group this service shuts down.
    public let group: ReactorGroup

    /// A service that shuts `group` down at the end of the service group's lifetime.
    public init(_ group: ReactorGroup) {
        self.group = group
    }

    /// Suspends until a graceful shutdown or cancellation, then shuts the group down. Never
    /// throws: cancellation is the cue to shut down, not a failure.
    public func run() async {
        // Throws only on cancellation, which stops the group just the same.
        try? await gracefulShutdown()
        await group.shutdown()
    }
}
