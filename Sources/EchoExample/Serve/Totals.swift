import Synchronization

/// The server's counters for the shutdown line. Connections add their byte counts once, when
/// they close (the library counts bytes per socket anyway), so no counter is touched per message.
final class Totals: Sendable {
    private let accepted = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let idleTimeouts = Atomic<Int>(0)
    private let linesTooLong = Atomic<Int>(0)
    private let forceClosed = Atomic<Int>(0)
    private let bytesIn = Atomic<UInt64>(0)
    private let bytesOut = Atomic<UInt64>(0)
    private let servesUDP = Atomic<Bool>(false)
    private let datagramsIn = Atomic<UInt64>(0)
    private let datagramsOut = Atomic<UInt64>(0)

    /// A connection was admitted.
    func connectionAccepted() { accepted.add(1, ordering: .relaxed) }
    /// A connection was accepted and closed at once because `--max-conns` were open.
    func connectionRefused() { refused.add(1, ordering: .relaxed) }
    /// A connection was closed for being idle longer than `--idle-timeout`.
    func idleTimedOut() { idleTimeouts.add(1, ordering: .relaxed) }
    /// A connection sent a line over `--max-line` and was closed.
    func lineTooLong() { linesTooLong.add(1, ordering: .relaxed) }
    /// Connections still open when the drain timeout passed, closed by the server.
    func forciblyClosed(_ count: Int) { forceClosed.add(count, ordering: .relaxed) }

    /// A connection ended after reading `read` and writing `written` bytes.
    func connectionEnded(read: UInt64, written: UInt64) {
        bytesIn.add(read, ordering: .relaxed)
        bytesOut.add(written, ordering: .relaxed)
    }

    /// The UDP sockets served so far received `received` and sent `sent` datagrams (added
    /// once, at shutdown; the sockets count them anyway). Adds the UDP fields to the summary.
    func datagrams(received: UInt64, sent: UInt64) {
        servesUDP.store(true, ordering: .relaxed)
        datagramsIn.add(received, ordering: .relaxed)
        datagramsOut.add(sent, ordering: .relaxed)
    }

    /// `accepted=N refused=N idle_timeouts=N lines_too_long=N force_closed=N bytes_in=N bytes_out=N`,
    /// and ` datagrams_in=N datagrams_out=N` when UDP was served.
    var summary: String {
        "accepted=\(accepted.load(ordering: .relaxed)) refused=\(refused.load(ordering: .relaxed))"
            + " idle_timeouts=\(idleTimeouts.load(ordering: .relaxed)) lines_too_long=\(linesTooLong.load(ordering: .relaxed))"
            + " force_closed=\(forceClosed.load(ordering: .relaxed))"
            + " bytes_in=\(bytesIn.load(ordering: .relaxed)) bytes_out=\(bytesOut.load(ordering: .relaxed))"
            + (servesUDP.load(ordering: .relaxed)
                ? " datagrams_in=\(datagramsIn.load(ordering: .relaxed)) datagrams_out=\(datagramsOut.load(ordering: .relaxed))" : "")
    }
}
