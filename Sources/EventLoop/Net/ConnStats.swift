/// Counters of one connection.
public struct ConnStats: Sendable, Hashable {
    /// Bytes read from the peer.
    public let bytesRead: UInt64
    /// Bytes written to the peer.
    public let bytesWritten: UInt64
    /// Monotonic nanoseconds (CLOCK_MONOTONIC) of the last read or write.
    public let lastActivity: UInt64
}
