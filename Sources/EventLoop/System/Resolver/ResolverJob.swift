/// One pending lookup and the task that waits for it. The waiting task is resumed exactly
/// once, by whichever comes first: the lookup's answer, its cancellation (the caller's task
/// was cancelled, for instance by a dial's deadline), or a refusal (the queue is full). Any
/// later outcome is dropped, so an abandoned lookup can finish in the background unobserved.
final class ResolverJob: BlockingJob {
    typealias Outcome = Result<[SocketAddress], any Error>

    private enum Stage {
        /// Created; the waiting task has not yet handed over its continuation.
        case created
        /// The task waits on this continuation.
        case waiting(CheckedContinuation<[SocketAddress], any Error>)
        /// Finished before the continuation arrived (cancelled at once); it is resumed on arrival.
        case finishedEarly(Outcome)
        /// The task has been resumed.
        case done
    }

    /// The name to look up.
    let host: String
    /// The port the addresses carry.
    let port: UInt16
    /// The blocking lookup a pool thread runs.
    private let lookup: Resolver.Lookup
    private let stage = Locked(Stage.created)

    /// A job for `host` and `port`, answered by `lookup`.
    init(host: String, port: UInt16, lookup: @escaping Resolver.Lookup) {
        self.host = host
        self.port = port
        self.lookup = lookup
    }

    /// Runs the lookup on a pool thread, unless the job was settled (cancelled) meanwhile.
    func run() {
        if !isFinished { finish(lookup(host, port).mapError { $0 }) }
    }

    /// No thread could take the lookup: it fails with that errno.
    func threadUnavailable(errno: Int32) {
        finish(.failure(NetError(.system(errno: errno), operation: "lookup", address: label)))
    }

    /// `host:port`, for errors.
    var label: String { "\(host):\(port)" }

    /// True once the outcome is settled: nobody waits for a lookup any more.
    var isFinished: Bool {
        stage.withLock { stage in
            switch stage {
            case .created, .waiting: return false
            case .finishedEarly, .done: return true
            }
        }
    }

    /// Hands over the waiting task's continuation. False when the job was already finished:
    /// the continuation has then been resumed with that outcome, and the job must not be queued.
    func wait(with continuation: CheckedContinuation<[SocketAddress], any Error>) -> Bool {
        let early: Outcome? = stage.withLock { stage in
            guard case .finishedEarly(let outcome) = stage else {
                stage = .waiting(continuation)
                return nil
            }
            stage = .done
            return outcome
        }
        guard let early else { return true }
        continuation.resume(with: early)
        return false
    }

    /// Settles the job with `outcome` unless it is settled already. True when this call settled it.
    @discardableResult
    func finish(_ outcome: Outcome) -> Bool {
        let waiting: CheckedContinuation<[SocketAddress], any Error>?
        let settled: Bool
        (waiting, settled) = stage.withLock { stage in
            switch stage {
            case .created:
                stage = .finishedEarly(outcome)
                return (nil, true)
            case .waiting(let continuation):
                stage = .done
                return (continuation, true)
            case .finishedEarly, .done:
                return (nil, false)
            }
        }
        waiting?.resume(with: outcome)
        return settled
    }
}
