import Synchronization

/// Names a value each reactor keeps for one of its users (a relay's pipe pool, a server's set
/// of serving tasks), created on first use by `make` and kept until the reactor goes away. The
/// reactor stores it without knowing its type: a key is a slot number in a small fixed array,
/// so a lookup is an index, never a hash.
///
/// Declare one key per kind of value, as a `static let` (each key takes one of
/// ``ReactorLocals/capacity`` slots for the life of the process).
struct ReactorLocalKey<Value: AnyObject>: Sendable {
    /// The slot of this key in every reactor's local storage.
    let slot: Int
    /// Makes the value for a reactor, on its thread; it may register a shutdown hook
    /// (``Reactor/onShutdown(_:)``).
    let make: @Sendable (Reactor) -> Value

    init(make: @escaping @Sendable (Reactor) -> Value) {
        slot = ReactorLocals.keysIssued.add(1, ordering: .relaxed).oldValue
        precondition(slot < ReactorLocals.capacity, "more reactor-local keys than ReactorLocals.capacity")
        self.make = make
    }
}

/// The bounds of reactor-local storage.
enum ReactorLocals {
    /// Keys the process may declare at most.
    static let capacity = 8
    /// Keys declared so far.
    static let keysIssued = Atomic<Int>(0)
}

extension Reactor {
    /// The value `key` names for this reactor, made on first use. Reactor thread only.
    /// O(1): an array index and a nil check.
    @inline(__always)
    func local<Value>(_ key: ReactorLocalKey<Value>) -> Value {
        assertOnReactor()
        if let value = locals[key.slot] { return unsafeDowncast(value, to: Value.self) }
        return makeLocal(key)
    }

    @inline(never)
    private func makeLocal<Value>(_ key: ReactorLocalKey<Value>) -> Value {
        let value = key.make(self)
        locals[key.slot] = value
        return value
    }

    /// Runs `hook` on this reactor's thread when it shuts down, once its sockets are closed and
    /// before the tasks they woke run (a pool closes its idle descriptors there). Reactor
    /// thread only.
    func onShutdown(_ hook: @escaping () -> Void) {
        assertOnReactor()
        shutdownHooks.append(hook)
    }

    /// Runs and forgets the hooks registered with ``onShutdown(_:)``, in registration order.
    func runShutdownHooks() {
        let hooks = shutdownHooks
        shutdownHooks.removeAll()
        for hook in hooks { hook() }
    }
}
