import EventLoop
import ExampleSupport

/// How a client's upstream is chosen.
enum BalancePolicy: String, Sendable, CaseIterable {
    /// Each new client goes to the next upstream in turn.
    case roundRobin = "round-robin"
    /// Each new client goes to the upstream with the fewest open pairs.
    case leastConn = "least-conn"
}

/// Whether pairs move bytes with splice(2).
enum SpliceOption: String, Sendable, CaseIterable {
    /// Copy loop for small exchanges, splice once a direction streams in bulk.
    case auto
    /// Always splice.
    case on
    /// Never splice: read into pooled buffers and write them.
    case off
}

/// Which level of the library serves each client.
enum ProxyAPI: String, Sendable, CaseIterable {
    /// Reactor-thread callbacks (`Listener.serveConnections`, the callback dial and relay): no
    /// task per client. The default: the cheapest per connection.
    case handler
    /// One task per client (`Listener.serve`, the async dial and relay).
    case async
}

/// Every setting of the proxy, validated (read by ``SettingsLoader``).
struct ProxySettings: Sendable {
    var listen: [String] = []
    var upstreams: [String] = []
    /// Every upstream to resolve: the `--upstream` list, then the `--route-sni` targets not in it.
    var upstreamNames: [String] {
        var names = upstreams
        for route in tls.routes where !names.contains(route.target) { names.append(route.target) }
        return names
    }
    var balance: BalancePolicy = .roundRobin
    var threads: Int?
    var connectTimeout: Duration = .seconds(3)
    var idleTimeout: Duration? = .seconds(300)
    var retries: Int?
    var limits = AdmissionLimits()
    var splice: SpliceOption = .auto
    var api: ProxyAPI = .handler
    var metricsListen: String?
    var drainTimeout: Duration = .seconds(5)
    var logLevel: LogLevelOption = .info
    /// `--log-format`: text or JSON lines.
    var logFormat: LogFormat = .text
    /// `--health-*`: the active health checks (off by default).
    var health = HealthCheckSettings()
    /// `--accept-proxy`: every client starts with a PROXY protocol header (v1 or v2).
    var acceptProxy = false
    /// `--send-proxy v1|v2`: the header written to each upstream before the client's bytes.
    var sendProxy: SendProxyOption?
    /// `--proxy-header-timeout`: how long a client may take to send its whole PROXY header.
    var proxyHeaderTimeout: Duration = .seconds(3)
    /// How often upstreams given by name are resolved again (nil: at start only).
    var resolveInterval: Duration? = .seconds(30)
    /// `tcp-keepalive` and `tcp-user-timeout`, applied to both sides of every pair.
    var tcpOptions = TCPOptions()
    /// `--tls-*`, `--upstream-tls`, `--upstream-ca`, `--upstream-sni`: termination and origination.
    var tls = ProxyTLSSettings()

    /// The names a config file may use (the long flags without dashes): ``SettingKeys/all``.
    static let configKeys: Set<String> = SettingKeys.all
}
