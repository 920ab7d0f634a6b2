extension TCPConn {
    /// The most header bytes ``readProxyHeader(timeout:maximumLength:completion:)`` accepts by
    /// default: 4096 (a v1 line is at most 107; a v2 header is 16 bytes plus its addresses and
    /// TLVs, and a longer one is refused as ``ProxyHeaderError/tooLong(length:maximum:)``).
    public static let defaultProxyHeaderMaximumLength = 4096

    /// Reads the PROXY protocol header (v1 or v2, detected) that must start this connection,
    /// without a task: `completion` runs once on the reactor thread with the header, or with
    /// why there is none (not a header, too long, ``ProxyHeaderError/timedOut`` when no whole
    /// header arrived within `timeout`, end of stream, a failed read, the connection closed).
    ///
    /// Only the header's bytes are consumed: the data after it stays in the socket for the next
    /// read, copy or relay. Allocation-free apart from the reader and its timer (one each per
    /// call); the bytes are peeked into the reactor's scratch buffer and parsed in place by
    /// ``ProxyHeaderParser``. The connection is left open either way: close it on failure.
    ///
    /// Reactor thread only (a call from another thread traps); no read may be pending (a
    /// concurrent read, copy or relay fails it with `.concurrentOperation`).
    ///
    /// - Parameters:
    ///   - timeout: how long the whole header may take (3 seconds by default).
    ///   - maximumLength: the longest header accepted (16 at least; values above 65536, the
    ///     reactor's scratch buffer, count as 65536).
    ///   - completion: runs once, on the reactor thread, with the header or why there is none.
    public func readProxyHeader(timeout: Duration = .seconds(3), maximumLength: Int = defaultProxyHeaderMaximumLength,
                                completion: @escaping (Result<ProxyHeader, ProxyHeaderError>) -> Void) {
        reactor.checkConfined("TCPConn", "readProxyHeader")
        guard !readBusy, readPump == nil, headerReader == nil else {
            return completion(.failure(.readFailed(netError(.concurrentOperation, "read"))))
        }
        // The bytes are peeked into the scratch buffer: a longer header is refused as too long.
        let limit = min(max(ProxyHeaderParser.v2PreambleLength, maximumLength), reactor.scratch.count)
        let reader = ProxyHeaderReader(conn: self, maximumLength: limit,
                                       completion: completion)
        reader.start(timeout: timeout)
    }

    /// ``readProxyHeader(timeout:maximumLength:completion:)`` for a task: returns the header or
    /// throws ``ProxyHeaderError``. Call it from a task on this connection's reactor (every
    /// task ``Listener/serve(_:)`` starts); from elsewhere it hops there first.
    ///
    /// - Parameters:
    ///   - timeout: how long the whole header may take (3 seconds by default).
    ///   - maximumLength: the longest header accepted, at most 65536 (the scratch buffer).
    public nonisolated(nonsending) func readProxyHeader(
        timeout: Duration = .seconds(3), maximumLength: Int = defaultProxyHeaderMaximumLength
    ) async throws(ProxyHeaderError) -> ProxyHeader {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ProxyHeader, ProxyHeaderError>, Never>) in
            let reactor = self.reactor
            if reactor.isCurrent {
                readProxyHeader(timeout: timeout, maximumLength: maximumLength) { continuation.resume(returning: $0) }
            } else {
                reactor.execute {
                    self.readProxyHeader(timeout: timeout, maximumLength: maximumLength) { continuation.resume(returning: $0) }
                }
            }
        }
        return try result.get()
    }
}
