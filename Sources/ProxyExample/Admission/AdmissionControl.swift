import EventLoop
import Logging
import Synchronization

/// Decides whether a new client may connect, and counts the admitted ones.
///
/// Checks, in order: the allow/deny lists (``AccessList``), the global `maxConns`, the per-IP
/// `maxConnsPerIP`, the per-IP rate (``TokenBucket``). A refused client changes no count and
/// takes no token. Per-address state lives in a bounded ``ClientTable``
/// (``AdmissionLimits/ipTableSize`` entries) and only when a per-IP limit is set. The per-IP
/// limits count an IPv6 client by its ``AdmissionLimits/ipv6PrefixLength`` prefix (a /64 by
/// default), so one host cannot get around them by rotating its addresses; the access lists
/// see the whole address. IPv4-mapped IPv6 clients count as their IPv4 address; Unix-domain
/// clients are subject only to the lists and the global limit. A new address refused because
/// the table is full of live entries is logged as a warning at most once a minute (by the
/// injected clock), with how many were refused since the last warning.
///
/// Thread-safe: ``admit(_:)`` and ``release(_:)`` may be called from any thread (every reactor
/// of the proxy); they take one short lock (`Locked`) and are amortised O(1) plus the size of
/// the access lists. Time comes from the monotonic clock, or from the injected `clock`.
final class AdmissionControl: Sendable {
    /// A proof of admission; give it back with ``release(_:)`` when the client is gone. Releasing
    /// a ticket a second time does nothing.
    final class Ticket: Sendable {
        /// The client's address as the listener reported it.
        let address: SocketAddress?
        /// The address the per-IP table counts it under (nil: not counted per IP).
        let client: ClientAddress?
        fileprivate let released = Atomic<Bool>(false)

        init(address: SocketAddress?, client: ClientAddress?) {
            self.address = address
            self.client = client
        }
    }

    /// The limits in force and what follows from them; replaced by ``update(_:)``.
    private struct Rules {
        let limits: AdmissionLimits
        let access: AccessList
        let tracksClients: Bool

        init(_ limits: AdmissionLimits) {
            self.limits = limits
            access = AccessList(allow: limits.allow, deny: limits.deny)
            tracksClients = limits.maxConnsPerIP != nil || limits.ratePerIP != nil
        }
    }

    private struct State {
        var rules: Rules
        var active = 0
        var table: ClientTable
        /// When the last table-full warning was written, and the refusals since.
        var lastTableFullWarning: UInt64?
        var tableFullRefusals = 0
    }

    /// Least time between two table-full warnings, in nanoseconds.
    static let tableFullWarningInterval: UInt64 = 60_000_000_000

    private let clock: @Sendable () -> UInt64
    private let logger: Logger
    private let state: Locked<State>

    /// Admission under `limits`.
    ///
    /// - Parameters:
    ///   - logger: where the table-full warning goes (nowhere by default).
    ///   - clock: monotonic nanoseconds; defaults to the library's monotonic clock.
    init(limits: AdmissionLimits, logger: Logger = Logger(label: "admission") { _ in SwiftLogNoOpLogHandler() },
         clock: @escaping @Sendable () -> UInt64 = { Deadline.now.nanoseconds }) {
        self.clock = clock
        self.logger = logger
        state = Locked(State(rules: Rules(limits), table: ClientTable(maxOpen: limits.maxConnsPerIP, rate: limits.ratePerIP,
                                                                      capacity: limits.ipTableSize)))
    }

    /// The limits in force now.
    var limits: AdmissionLimits { state.withLock { $0.rules.limits } }

    /// Puts `limits` in force for the clients admitted from now on (a reload), keeping every
    /// count: the clients already admitted still count against `maxConns` and their address's
    /// `maxConnsPerIP`, and are released here as before. Per-IP counts start when a per-IP
    /// limit is first set (clients admitted before are not counted per IP). Thread-safe.
    func update(_ limits: AdmissionLimits) {
        state.withLock { state in
            state.rules = Rules(limits)
            state.table.reconfigure(maxOpen: limits.maxConnsPerIP, rate: limits.ratePerIP, capacity: limits.ipTableSize)
        }
    }

    /// Admits the client at `address` (nil: unknown peer) or says why not. Thread-safe.
    func admit(_ address: SocketAddress?) -> Result<Ticket, RefusalReason> {
        let client = address.flatMap(ClientAddress.init)
        var warning: (refused: Int, tracked: Int)?
        var counted: ClientAddress?
        let outcome = state.withLock { state -> RefusalReason? in
            let rules = state.rules
            if !rules.access.isEmpty && !rules.access.permits(client) { return .denied }
            if let maxConns = rules.limits.maxConns, state.active >= maxConns { return .maxConns }
            counted = rules.tracksClients ? client?.key(ipv6PrefixLength: rules.limits.ipv6PrefixLength) : nil
            if let counted {
                let now = clock()
                switch state.table.admit(counted, now: now) {
                case .admitted: break
                case .tooManyConnections: return .maxConnsPerIP
                case .rateExceeded: return .rate
                case .full:
                    warning = Self.noteTableFull(&state, now: now)
                    return .clientTableFull
                }
            }
            state.active += 1
            return nil
        }
        if let warning {
            logger.warning("per-IP table is full (\(warning.tracked) addresses, each with a connection open): refusing new addresses; \(warning.refused) new addresses refused since the last warning")
        }
        if let outcome { return .failure(outcome) }
        return .success(Ticket(address: address, client: counted))
    }

    /// Counts a table-full refusal; returns what to log when a minute has passed since the
    /// last warning (or there was none). Under the lock.
    private static func noteTableFull(_ state: inout State, now: UInt64) -> (refused: Int, tracked: Int)? {
        state.tableFullRefusals += 1
        if let last = state.lastTableFullWarning, now >= last, now - last < tableFullWarningInterval { return nil }
        defer {
            state.lastTableFullWarning = now
            state.tableFullRefusals = 0
        }
        return (state.tableFullRefusals, state.table.count)
    }

    /// The client of `ticket` is gone. Thread-safe; a second release of the same ticket is ignored.
    func release(_ ticket: Ticket) {
        guard !ticket.released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let now = ticket.client == nil ? 0 : clock()
        state.withLock { state in
            state.active -= 1
            if let client = ticket.client { state.table.release(client, now: now) }
        }
    }

    /// Clients admitted and not yet released.
    var activeCount: Int { state.withLock { $0.active } }

    /// Addresses the per-IP table holds now (for tests and diagnostics).
    var trackedClientCount: Int { state.withLock { $0.table.count } }
}
