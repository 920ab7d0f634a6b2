/// The tasks `Listener.serve` started for one reactor's connections, while their handlers run.
/// Nothing holds a handle to them, so nothing else can cancel them, and their waits skip the
/// cancellation handler (see `TCPConn.servingTask`). One set per reactor, kept in the
/// reactor's local storage; reactor thread only.
final class ServingTasks {
    /// Each reactor's set, made on first use.
    static let key = ReactorLocalKey<ServingTasks> { _ in ServingTasks() }

    private var tasks = Set<UnsafeCurrentTask>()

    /// True when no connection of the reactor is being served. O(1).
    var isEmpty: Bool { tasks.isEmpty }

    /// True when `task` serves a connection of the reactor. O(1) on average.
    func contains(_ task: UnsafeCurrentTask) -> Bool { tasks.contains(task) }

    /// Records `task` as serving a connection.
    func insert(_ task: UnsafeCurrentTask) { tasks.insert(task) }

    /// Forgets `task` (its handler returned).
    func remove(_ task: UnsafeCurrentTask) { tasks.remove(task) }
}

extension Reactor {
    /// The tasks serving this reactor's connections (reactor thread only).
    var servingTasks: ServingTasks { local(ServingTasks.key) }
}
