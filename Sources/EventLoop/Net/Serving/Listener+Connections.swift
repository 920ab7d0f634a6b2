extension Listener {
    /// The accepted connections as an asynchronous sequence:
    /// `for try await conn in listener.connections { … }`.
    ///
    /// Each element is what ``accept()`` returns: a connection on the reactor that accepted it,
    /// owned by the caller (close it when done). The sequence ends (`next()` returns nil) when
    /// the listener is closed (``close()``, or its reactors shutting down) and when the
    /// iterating task is cancelled; it throws ``NetError`` for any other accept failure. Once
    /// it has ended it stays ended. Iterate it from one task at a time; several sequences over
    /// one listener share its connections. Per element: one ``accept()`` (no allocation beyond it).
    public var connections: Connections { Connections(listener: self) }

    /// An `AsyncSequence` of the connections a ``Listener`` accepts (see ``Listener/connections``).
    public struct Connections: AsyncSequence, Sendable {
        /// Each element is an accepted connection, owned by the iterating code.
        public typealias Element = TCPConn
        /// The sequence throws only ``NetError`` (typed throws).
        public typealias Failure = NetError

        /// The listener whose connections this sequence yields.
        public let listener: Listener

        /// An iterator over the listener's next connections.
        public func makeAsyncIterator() -> Iterator { Iterator(listener: listener) }

        /// Waits for each next connection with ``Listener/accept()``.
        public struct Iterator: AsyncIteratorProtocol {
            /// An accepted connection.
            public typealias Element = TCPConn
            /// The iterator throws only ``NetError`` (typed throws).
            public typealias Failure = NetError

            let listener: Listener
            private var finished = false

            init(listener: Listener) { self.listener = listener }

            /// The next connection; nil once the listener is closed or the task is cancelled.
            /// Throws ``NetError`` for any other accept failure.
            public mutating func next(isolation actor: isolated (any Actor)? = #isolation) async throws(NetError) -> TCPConn? {
                guard !finished else { return nil }
                do {
                    return try await listener.accept()
                } catch let error as NetError where error.code != .closed && error.code != .shuttingDown {
                    throw error
                } catch {
                    // Closed, shutting down, or cancelled: the end of the sequence.
                    finished = true
                    return nil
                }
            }

            /// The next connection (see ``next(isolation:)``).
            public mutating func next() async throws(NetError) -> TCPConn? {
                try await next(isolation: nil)
            }
        }
    }
}
