import EventLoop
import Logging
import ServiceLifecycle

extension PairForwarder {
    /// Writes the session line (info) of one finished client: `session` with `client` (the
    /// address ``PeerName`` gives), `upstream` (`-` when none was reached), `duration` (seconds,
    /// millisecond precision), `bytes_up` (client to upstream), `bytes_down`, `end` (a
    /// ``SessionEnd``) and any `extra` fields. Nothing is formatted below the info level.
    func logSession(peer: PeerName, upstream: String, seconds: Double, up: UInt64, down: UInt64, end: SessionEnd,
                    extra: Logger.Metadata = [:]) {
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "client": "\(peer)", "upstream": "\(upstream)", "duration": "\(Self.milliseconds(seconds))",
            "bytes_up": "\(up)", "bytes_down": "\(down)", "end": "\(end.rawValue)",
        ]
        metadata.merge(extra) { _, new in new }
        logger.info("session", metadata: metadata)
    }

    /// `seconds` with three decimals (`0.042`), without Foundation.
    static func milliseconds(_ seconds: Double) -> String {
        let total = Int((max(0, seconds) * 1000).rounded())
        let fraction = String(total % 1000)
        return "\(total / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// Folds the open pairs' byte counts into the metrics every half second (``LiveTransfers``)
/// until the graceful shutdown (the proxy's drain comes first: its service stops before this
/// one) or cancellation.
struct TransferFolding: Service {
    let transfers: LiveTransfers

    func run() async {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .milliseconds(500))
                transfers.fold()
            }
        }
        transfers.fold()
    }
}
