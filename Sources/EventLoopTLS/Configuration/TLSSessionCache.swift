import COpenSSL
import Synchronization

/// A client-side store of TLS sessions (TLS 1.3 tickets, TLS 1.2 session ids), one per server
/// (keyed by server name and address), so that the next connection to the same server resumes
/// with an abbreviated handshake. Thread-safe (a mutex around a dictionary); O(1) per
/// handshake; holds at most ``capacity`` sessions (an arbitrary one is dropped past that).
public final class TLSSessionCache: Sendable {
    /// The most sessions kept.
    public let capacity: Int
    private let sessions: Mutex<[String: SessionBox]>

    /// An empty cache of at most `capacity` sessions.
    public init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
        sessions = Mutex([:])
    }

    /// How many sessions are kept now.
    public var count: Int { sessions.withLock { $0.count } }

    /// Forgets every session.
    public func removeAll() { sessions.withLock { $0.removeAll() } }

    /// Keeps `session` (a reference the cache now owns) for `key`.
    func store(_ session: OpaquePointer, for key: String) {
        let box = SessionBox(session)
        sessions.withLock { sessions in
            if sessions[key] == nil && sessions.count >= capacity, let victim = sessions.keys.first {
                sessions[victim] = nil
            }
            sessions[key] = box
        }
    }

    /// The session for `key`, if any, kept alive by the returned box.
    func session(for key: String) -> SessionBox? {
        sessions.withLock { $0[key] }
    }
}

// @unchecked Sendable: an SSL_SESSION is immutable once established and reference counted
// atomically by OpenSSL; the box only hands it to SSL_set_session (which takes its own reference).
/// One cached SSL_SESSION, freed with its last box.
final class SessionBox: @unchecked Sendable {
    let session: OpaquePointer
    init(_ session: OpaquePointer) { self.session = session }
    deinit { SSL_SESSION_free(session) }
}
