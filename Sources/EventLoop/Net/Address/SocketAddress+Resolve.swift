extension SocketAddress {
    /// Resolves `host:port` text to addresses. Numeric forms (see ``init(_:)``) return at once;
    /// names go through getaddrinfo on the library's resolver threads, never on a reactor
    /// thread (at most 4 lookups run at once; up to 64 more wait for a thread).
    ///
    /// Throws ``NetError`` `.invalidAddress` for malformed text, `.resolution` when the name is
    /// unknown or 64 lookups already wait, or `CancellationError` when the task is cancelled:
    /// the lookup is then abandoned at once (its thread finishes it in the background).
    public static func resolve(_ text: String) async throws -> [SocketAddress] {
        try await resolve(text, using: .shared)
    }

    /// ``resolve(_:)`` with the lookups of `resolver`.
    static func resolve(_ text: String, using resolver: Resolver) async throws -> [SocketAddress] {
        if let numeric = try? SocketAddress(text) { return [numeric] }
        guard !text.hasPrefix("unix:"), let (host, port) = splitHostPort(text), !host.isEmpty else {
            throw NetError(.invalidAddress(text), operation: "parse")
        }
        return try await resolver.resolve(host: host, port: port)
    }
}
