import Synchronization

/// Connections whose handshake has completed, waiting for ``TLSListener/accept()``: a FIFO
/// with parked acceptors, closed with an error once the listener ends. Thread-safe (a mutex);
/// O(1) per push and pop (amortised).
final class ReadyQueue<Element: Sendable>: Sendable {
    private struct State {
        var ready: [Element] = []
        var head = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Element, any Error>)] = []
        var nextID: UInt64 = 0
        var finished: (any Error)?
    }

    private let state = Mutex(State())

    /// True once ``finish(_:)`` has been called.
    var isFinished: Bool { state.withLock { $0.finished != nil } }

    /// Hands `element` to a parked acceptor or queues it. False once finished (the caller
    /// disposes of it).
    func push(_ element: Element) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<Element, any Error>?? in
            guard state.finished == nil else { return .none }
            if !state.waiters.isEmpty { return .some(state.waiters.removeFirst().continuation) }
            state.ready.append(element)
            return .some(nil)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: element)
        return true
    }

    /// The next element; throws the finishing error once finished and empty, or
    /// `CancellationError` when the task is cancelled while waiting.
    func next() async throws -> Element {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element, any Error>) in
                let outcome = state.withLock { state -> Result<Element, any Error>? in
                    if state.head < state.ready.count {
                        let element = state.ready[state.head]
                        state.head += 1
                        if state.head == state.ready.count {
                            state.ready.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        return .success(element)
                    }
                    if let finished = state.finished { return .failure(finished) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Element, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Ends the queue: parked and later calls to ``next()`` throw `error`; returns what was
    /// still queued (for the caller to dispose of).
    func finish(_ error: any Error) -> [Element] {
        let (waiters, left) = state.withLock { state -> ([CheckedContinuation<Element, any Error>], [Element]) in
            guard state.finished == nil else { return ([], []) }
            state.finished = error
            let left = Array(state.ready[state.head...])
            state.ready.removeAll()
            state.head = 0
            defer { state.waiters.removeAll() }
            return (state.waiters.map(\.continuation), left)
        }
        waiters.forEach { $0.resume(throwing: error) }
        return left
    }
}
