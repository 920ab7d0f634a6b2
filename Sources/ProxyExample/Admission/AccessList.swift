import EventLoop

/// The allow and deny networks of the admission checks.
///
/// A client is permitted unless a deny network contains it (deny wins), and, when the allow
/// list is not empty, only if an allow network contains it. A client with no IP address (a
/// Unix-domain peer, or an unknown peer) matches no network: it passes an empty allow list and
/// is refused by a non-empty one. Immutable and `Sendable`; `permits` is O(number of networks).
struct AccessList: Sendable {
    let allow: [CIDR]
    let deny: [CIDR]

    /// True when both lists are empty (every client is permitted).
    var isEmpty: Bool { allow.isEmpty && deny.isEmpty }

    /// Whether the client at `client` (normalised; nil when it has no IP address) may connect.
    func permits(_ client: ClientAddress?) -> Bool {
        guard let client else { return allow.isEmpty }
        if deny.contains(where: { $0.contains(client) }) { return false }
        return allow.isEmpty || allow.contains(where: { $0.contains(client) })
    }
}
