import ArgumentParser
import EventLoop
import ExampleSupport
import Logging

/// `ProxyExample`: a TCP proxy on the EventLoop library. Settings come from the flags, then the
/// `PROXY_*` environment variables, then `--config FILE`, then the defaults (``SettingsLoader``).
@main
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ProxyExample",
        abstract: "A TCP proxy on the EventLoop library: pools of upstreams, limits, metrics, splice.",
        version: EventLoopVersion.current.description
    )

    @Option(name: .long, help: "Configuration file: .json, .yaml/.yml, or settings one per line (`name value`); flags and PROXY_* variables win. SIGHUP reads it again (a bad file keeps the running configuration).")
    var config: String?

    @Option(name: .long, help: "Address to listen on: HOST:PORT, [::]:PORT or unix:/path (repeatable; SO_REUSEPORT, so a new instance can take over: see Docs/Proxy.md).")
    var listen: [String] = []

    @Option(name: .long, help: "Upstream server HOST:PORT or NAME:PORT (repeatable: several upstreams; names are resolved again every --resolve-interval).")
    var upstream: [String] = []

    @Option(name: .long, help: "How a client's upstream is chosen: round-robin or least-conn.")
    var balance: String?

    @Option(name: .long, help: "Reactor threads (default: one per available core).")
    var threads: String?

    @Option(name: .long, help: ArgumentHelp("Give up connecting to an upstream after this long (default 3).", valueName: "seconds"))
    var connectTimeout: String?

    @Option(name: .long, help: ArgumentHelp("Close a pair idle this long in both directions (default 300; 0: never).", valueName: "seconds"))
    var idleTimeout: String?

    @Option(name: .long, help: ArgumentHelp("Connect attempts per client across upstreams, with backoff (default: one per upstream).", valueName: "n"))
    var retries: String?

    @Option(name: .long, help: ArgumentHelp("Clients connected at most; more are accepted and closed at once.", valueName: "n"))
    var maxConns: String?

    @Option(name: .customLong("max-conns-per-ip"), help: ArgumentHelp("Clients connected at most from one address.", valueName: "n"))
    var maxConnsPerIP: String?

    @Option(name: .customLong("rate-per-ip"), help: ArgumentHelp("New connections per second from one address (token bucket).", valueName: "rate"))
    var ratePerIP: String?

    @Option(name: .customLong("ipv6-prefix-len"), help: ArgumentHelp("The per-IP limits count an IPv6 client by this prefix length (default 64).", valueName: "bits"))
    var ipv6PrefixLength: String?

    @Option(name: .customLong("ip-table-size"), help: ArgumentHelp("Addresses the per-IP limits track at most; when all have connections open, new ones are refused (default 100000).", valueName: "n"))
    var ipTableSize: String?

    @Option(name: .long, help: ArgumentHelp("Accept clients only from this network (repeatable).", valueName: "cidr"))
    var allow: [String] = []

    @Option(name: .long, help: ArgumentHelp("Refuse clients from this network (repeatable; wins over --allow).", valueName: "cidr"))
    var deny: [String] = []

    @Option(name: .long, help: "Move bytes with splice(2): auto (for bulk transfers), on or off.")
    var splice: String?

    @Option(name: .long, help: "Serve clients with reactor callbacks (handler, the default) or a task each (async).")
    var api: String?

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics.", valueName: "host:port"))
    var metricsListen: String?

    @Option(name: .long, help: ArgumentHelp("On SIGINT/SIGTERM, how long open pairs may finish (default 5).", valueName: "seconds"))
    var drainTimeout: String?

    @Flag(name: .customLong("accept-proxy"), help: "Every client must start with a PROXY protocol header (v1 or v2, detected); its source address is the client's for the limits, lists and logs.")
    var acceptProxy = false

    @Option(name: .customLong("send-proxy"), help: ArgumentHelp("Write a PROXY protocol header (v1 or v2) with the client's address to each upstream before its bytes.", valueName: "v1|v2"))
    var sendProxy: String?

    @Option(name: .customLong("proxy-header-timeout"), help: ArgumentHelp("With --accept-proxy: close a client whose header is not complete after this long (default 3).", valueName: "seconds"))
    var proxyHeaderTimeout: String?
    @Option(name: .long, help: ArgumentHelp("Resolve upstreams given by name again this often; a failed lookup keeps the last addresses (default 30; 0: at start only).", valueName: "seconds"))
    var resolveInterval: String?

    @Flag(name: .long, help: "Validate the settings and the --config file (syntax, addresses, networks, files) without opening a socket: prints `configuration OK` (exit 0) or each error as FILE:LINE: reason (exit 1).")
    var check = false

    @Option(name: .long, help: "trace, debug (every connection), info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(name: .customLong("tcp-keepalive"), help: ArgumentHelp("Probe either side of a pair idle this long, every third of it (at least 1 s); after 3 unanswered probes close the pair (default 0: off).", valueName: "seconds"))
    var tcpKeepAlive: String?

    @Option(name: .customLong("tcp-user-timeout"), help: ArgumentHelp("Close a pair when either side leaves data sent to it unacknowledged this long (TCP_USER_TIMEOUT; default 0: off).", valueName: "seconds"))
    var tcpUserTimeout: String?
    @Option(name: .long, help: "Log lines as text (the default) or json (one object per line: level, message, metadata).")
    var logFormat: String?

    @Option(name: .long, help: ArgumentHelp("Probe each upstream this often, with jitter (default 0: no active checks).", valueName: "seconds"))
    var healthInterval: String?

    @Option(name: .long, help: ArgumentHelp("Bytes a probe sends once connected (C escapes such as \\r\\n allowed; empty: connect only).", valueName: "string"))
    var healthSend: String?

    @Option(name: .long, help: ArgumentHelp("Bytes a probe's reply must start with (C escapes allowed; empty: no reply awaited).", valueName: "string"))
    var healthExpect: String?

    @Option(name: .long, help: ArgumentHelp("Failed probes in a row that take an upstream out of rotation (default 3).", valueName: "n"))
    var healthFall: String?

    @Option(name: .long, help: ArgumentHelp("Good probes in a row that put it back (default 2).", valueName: "n"))
    var healthRise: String?

    @Option(name: .long, help: ArgumentHelp("How long one probe may take: connect, send and reply (default: the interval, at most 2 s).", valueName: "seconds"))
    var healthTimeout: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Terminate TLS: clients speak TLS to the proxy with this certificate chain (PEM); upstreams get plaintext. Needs --tls-key.", valueName: "path"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The private key (PEM, unencrypted) of --tls-cert.", valueName: "path"))
    var tlsKey: String?

    @Flag(name: .customLong("upstream-tls"), help: "Speak TLS to the upstreams, verifying their certificates (against --upstream-ca, else the system's roots) and names (--upstream-sni).")
    var upstreamTLS = false

    @Option(name: .customLong("upstream-ca"), help: ArgumentHelp("With --upstream-tls: the CA certificates (PEM) upstreams are verified against.", valueName: "path"))
    var upstreamCA: String?

    @Option(name: .customLong("upstream-sni"), help: ArgumentHelp("With --upstream-tls: the server name sent to upstreams and checked against their certificates.", valueName: "name"))
    var upstreamSNI: String?

    @Option(name: .customLong("tls-handshake-timeout"), help: ArgumentHelp("Close a TLS handshake (client or upstream side) not complete after this long (default 10).", valueName: "seconds"))
    var tlsHandshakeTimeout: String?

    @Option(name: .customLong("route-sni"), help: ArgumentHelp("Pass TLS through untouched, routed by the server name of the client's ClientHello (repeatable; NAME or *.SUFFIX; others go to --upstream, else are closed).", valueName: "name=host:port"))
    var routeSNI: [String] = []

    func run() async throws {
        if check { return try await ConfigCheck.run(flags: flags, configPath: config) }
        let settings = try await settings()
        // SIGHUP reads the same flags and file again (``ProxyReloader``).
        try await ProxyServer.run(settings, reload: SettingsSource(flags: flags, configPath: config))
    }

    /// The effective settings: flags, then `PROXY_*` environment variables, then the config
    /// file, then the defaults. On bad input prints one line naming the key and its source and
    /// exits 1.
    func settings() async throws -> ProxySettings {
        try await ProxySettings.loadOrExit(flags: flags, configPath: config)
    }

    /// The flags given, by setting name (the options are text: every source's values are
    /// converted and checked in one place, ``SettingsLoader``).
    var flags: [String: [String]] {
        let single: [String: String?] = [
            "balance": balance, "threads": threads, "connect-timeout": connectTimeout, "idle-timeout": idleTimeout,
            "retries": retries, "max-conns": maxConns, "max-conns-per-ip": maxConnsPerIP, "rate-per-ip": ratePerIP,
            "ipv6-prefix-len": ipv6PrefixLength, "ip-table-size": ipTableSize, "splice": splice, "api": api,
            "metrics-listen": metricsListen, "drain-timeout": drainTimeout, "log-level": logLevel,
            "log-format": logFormat, "health-interval": healthInterval, "health-send": healthSend,
            "health-expect": healthExpect, "health-fall": healthFall, "health-rise": healthRise, "health-timeout": healthTimeout,
            "resolve-interval": resolveInterval,
            "tcp-keepalive": tcpKeepAlive, "tcp-user-timeout": tcpUserTimeout,
            "tls-cert": tlsCert, "tls-key": tlsKey, "upstream-ca": upstreamCA, "upstream-sni": upstreamSNI,
            "tls-handshake-timeout": tlsHandshakeTimeout,
        ]
        var flags = single.compactMapValues { $0.map { [$0] } }
        flags["listen"] = listen
        flags["upstream"] = upstream
        flags["allow"] = allow
        flags["deny"] = deny
        flags["route-sni"] = routeSNI
        if acceptProxy { flags["accept-proxy"] = ["true"] }
        if upstreamTLS { flags["upstream-tls"] = ["true"] }
        if let sendProxy { flags["send-proxy"] = [sendProxy] }
        if let proxyHeaderTimeout { flags["proxy-header-timeout"] = [proxyHeaderTimeout] }
        return flags
    }
}
