/// One offloaded closure and the task that waits for its value. The waiting task is resumed
/// exactly once, with the closure's value or error, or with the error of a pool that could
/// not start a thread; whichever of the answer and the task's wait comes first, the other
/// completes the hand-over.
final class OffloadJob<Value: Sendable>: BlockingJob {
    typealias Outcome = Result<Value, any Error>

    private enum Stage {
        /// Neither the answer nor the waiting task is here yet.
        case pending
        /// The task waits on this continuation.
        case waiting(CheckedContinuation<Value, any Error>)
        /// The answer came first; the task takes it when it arrives.
        case answered(Outcome)
        /// The task has been resumed.
        case done
    }

    private let body: @Sendable () throws -> Value
    private let stage = Locked(Stage.pending)

    /// A job running `body`.
    init(_ body: @escaping @Sendable () throws -> Value) {
        self.body = body
    }

    /// Runs the closure on a pool thread and hands its outcome to the waiting task.
    func run() {
        settle(Result { try body() })
    }

    /// No thread could run the closure: the task gets that errno.
    func threadUnavailable(errno: Int32) {
        settle(.failure(NetError(.system(errno: errno), operation: "offload")))
    }

    /// Suspends until the outcome is known and returns it (or throws it).
    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let early: Outcome? = stage.withLock { stage in
                guard case .answered(let outcome) = stage else {
                    stage = .waiting(continuation)
                    return nil
                }
                stage = .done
                return outcome
            }
            if let early { continuation.resume(with: early) }
        }
    }

    private func settle(_ outcome: Outcome) {
        let waiting: CheckedContinuation<Value, any Error>? = stage.withLock { stage in
            switch stage {
            case .pending:
                stage = .answered(outcome)
                return nil
            case .waiting(let continuation):
                stage = .done
                return continuation
            case .answered, .done:
                return nil
            }
        }
        waiting?.resume(with: outcome)
    }
}
