import EventLoop
import Glibc

/// Pairs closed because one side stopped answering (`tcp-keepalive`, `tcp-user-timeout`): the
/// relay has already closed the other side; this says which side died and why, in one line.
extension PairForwarder {
    /// Logs (info) `pair closed: keepalive timeout` or `pair closed: user timeout` with the
    /// side that died, when the relay ended because the kernel gave a side up. Reactor thread.
    @inline(never)
    func noteGivenUp(_ result: RelayResult, peer: PeerName, upstream: String) {
        // forward: client -> upstream; backward: upstream -> client.
        let candidates: [(CopyEnd, side: String)] = [
            (result.forward.end, result.forward.end.isReadFailure ? "client" : "upstream"),
            (result.backward.end, result.backward.end.isReadFailure ? "upstream" : "client"),
        ]
        guard let (end, side) = candidates.first(where: { $0.0.givenUpError != nil }),
              let error = end.givenUpError else { return }
        let reason = givenUpReason(idleNanoseconds: peer.conn.reactor.loopTime &- peer.conn.stats.lastActivity)
        logger.info("pair closed: \(reason)", metadata: [
            "client": "\(peer)", "upstream": "\(upstream)", "side": "\(side)", "reason": "\(reason)", "error": "\(error)",
        ])
    }

    /// Which setting gave the connection up. The kernel reports both as ETIMEDOUT; with both
    /// set, a pair quiet for less than the keepalive idle time cannot have been probed, so it
    /// was the user timeout; a pair quiet longer is taken for keepalive.
    func givenUpReason(idleNanoseconds: UInt64) -> String {
        let options = settings.tcpOptions
        guard let keepAlive = options.keepAlive else { return "user timeout" }
        guard options.userTimeout != nil else { return "keepalive timeout" }
        let idle = UInt64(keepAlive.idle.components.seconds) * 1_000_000_000
        return idleNanoseconds < idle ? "user timeout" : "keepalive timeout"
    }
}

extension CopyEnd {
    fileprivate var isReadFailure: Bool {
        if case .readFailed = self { return true }
        return false
    }

    /// The error of a side the kernel gave up (ETIMEDOUT, or the ICMP error seen before it).
    fileprivate var givenUpError: NetError? {
        switch self {
        case .readFailed(let error), .writeFailed(let error):
            guard let errno = error.errno, [ETIMEDOUT, EHOSTUNREACH, ENETUNREACH].contains(errno) else { return nil }
            return error
        default:
            return nil
        }
    }
}
