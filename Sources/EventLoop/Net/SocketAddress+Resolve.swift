extension SocketAddress {
    /// Resolves `host:port` text to addresses. Numeric forms (see ``init(_:)``) return at once;
    /// names go through getaddrinfo on a background queue, never on a reactor thread.
    ///
    /// Throws ``NetError`` `.invalidAddress` for malformed text, `.resolution` when the name is unknown.
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
