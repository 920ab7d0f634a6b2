import EventLoop
import Logging

/// The `--route-sni` table: for a client's server name, the upstream pool to dial. Each
/// route target has a pool of its own (its passive health, its metric objects), shared by the
/// routes naming it. Immutable after init; thread-safe.
///
/// Matching: an exact name wins, then the longest `*.SUFFIX` that the name ends with; names
/// compare without regard to case. O(routes) per lookup for wildcards, O(1) for exact names.
final class SNIRouter: Sendable {
    private let exact: [String: UpstreamPool]
    /// Wildcard routes as (".suffix", pool), longest suffix first.
    private let wildcards: [(suffix: String, pool: UpstreamPool)]
    /// Every distinct target's pool, by target text.
    let pools: [String: UpstreamPool]

    /// The table for `routes`, each target with its resolved `addresses`.
    init(_ routes: [SNIRoute], addresses: [String: [SocketAddress]], logger: Logger, metrics: ProxyMetrics) {
        var pools: [String: UpstreamPool] = [:]
        for route in routes where pools[route.target] == nil {
            pools[route.target] = UpstreamPool([(route.target, addresses[route.target] ?? [])], policy: .roundRobin,
                                               logger: logger, metrics: metrics)
        }
        var exact: [String: UpstreamPool] = [:]
        var wildcards: [(suffix: String, pool: UpstreamPool)] = []
        for route in routes {
            if route.isWildcard {
                wildcards.append((String(route.name.dropFirst()), pools[route.target]!))
            } else {
                exact[route.name] = pools[route.target]!
            }
        }
        self.exact = exact
        self.wildcards = wildcards.sorted { $0.suffix.utf8.count > $1.suffix.utf8.count }
        self.pools = pools
    }

    /// The pool for `serverName`, nil when no route matches.
    func pool(for serverName: String) -> UpstreamPool? {
        let name = serverName.lowercased()
        if let pool = exact[name] { return pool }
        return wildcards.first { name.hasSuffix($0.suffix) && name.utf8.count > $0.suffix.utf8.count }?.pool
    }
}
