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

    @Option(name: .long, help: ArgumentHelp("Resolve upstreams given by name again this often; a failed lookup keeps the last addresses (default 30; 0: at start only).", valueName: "seconds"))
    var resolveInterval: String?

    @Flag(name: .long, help: "Validate the settings and the --config file (syntax, addresses, networks, files) without opening a socket: prints `configuration OK` (exit 0) or each error as FILE:LINE: reason (exit 1).")
    var check = false

    @Option(name: .long, help: "trace, debug (every connection), info, notice, warning, error or critical (default info).")
    var logLevel: String?

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
            "resolve-interval": resolveInterval,
        ]
        var flags = single.compactMapValues { $0.map { [$0] } }
        flags["listen"] = listen
        flags["upstream"] = upstream
        flags["allow"] = allow
        flags["deny"] = deny
        return flags
    }
}
