import ArgumentParser
import EventLoop
import ExampleSupport
import Logging

/// `ProxyExample`: a TCP proxy on the EventLoop library. Settings come from the flags, then
/// from `--config FILE` for those not given as flags, then from the defaults.
@main
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ProxyExample",
        abstract: "A TCP proxy on the EventLoop library: pools of upstreams, limits, metrics, splice.",
        version: EventLoopVersion.current.description
    )

    @Option(name: .long, help: "Configuration file (settings one per line, `name value`; flags win).")
    var config: String?

    @Option(name: .long, help: "Address to listen on: HOST:PORT, [::]:PORT or unix:/path (repeatable).")
    var listen: [String] = []

    @Option(name: .long, help: "Upstream server HOST:PORT (repeatable: several upstreams).")
    var upstream: [String] = []

    @Option(name: .long, help: "How a client's upstream is chosen: round-robin or least-conn.")
    var balance: BalancePolicy?

    @Option(name: .long, help: "Reactor threads (default: one per available core).")
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Give up connecting to an upstream after this long (default 3).", valueName: "seconds"))
    var connectTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Close a pair idle this long in both directions (default 300; 0: never).", valueName: "seconds"))
    var idleTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Connect attempts per client across upstreams, with backoff (default: one per upstream).", valueName: "n"))
    var retries: Int?

    @Option(name: .long, help: ArgumentHelp("Clients connected at most; more are accepted and closed at once.", valueName: "n"))
    var maxConns: Int?

    @Option(name: .customLong("max-conns-per-ip"), help: ArgumentHelp("Clients connected at most from one address.", valueName: "n"))
    var maxConnsPerIP: Int?

    @Option(name: .customLong("rate-per-ip"), help: ArgumentHelp("New connections per second from one address (token bucket).", valueName: "rate"))
    var ratePerIP: Double?

    @Option(name: .customLong("ipv6-prefix-len"), help: ArgumentHelp("The per-IP limits count an IPv6 client by this prefix length (default 64).", valueName: "bits"))
    var ipv6PrefixLength: Int?

    @Option(name: .customLong("ip-table-size"), help: ArgumentHelp("Addresses the per-IP limits track at most; when all have connections open, new ones are refused (default 100000).", valueName: "n"))
    var ipTableSize: Int?

    @Option(name: .long, help: ArgumentHelp("Accept clients only from this network (repeatable).", valueName: "cidr"))
    var allow: [String] = []

    @Option(name: .long, help: ArgumentHelp("Refuse clients from this network (repeatable; wins over --allow).", valueName: "cidr"))
    var deny: [String] = []

    @Option(name: .long, help: "Move bytes with splice(2): auto (for bulk transfers), on or off.")
    var splice: SpliceOption?

    @Option(name: .long, help: "Serve clients with reactor callbacks (handler, the default) or a task each (async).")
    var api: ProxyAPI?

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics.", valueName: "host:port"))
    var metricsListen: String?

    @Option(name: .long, help: ArgumentHelp("On SIGINT/SIGTERM, how long open pairs may finish (default 5).", valueName: "seconds"))
    var drainTimeout: Double?

    @Option(name: .long, help: "trace, debug (every connection), info, notice, warning, error or critical (default info).")
    var logLevel: LogLevelOption?

    func validate() throws {
        _ = try settings()
    }

    func run() async throws {
        let settings = try settings()
        try await ProxyServer.run(settings)
    }

    /// The effective settings: flags, then the config file, then the defaults. Throws
    /// `ValidationError` naming the bad value.
    func settings() throws -> ProxySettings {
        var file = ConfigFile()
        if let config {
            let text: String
            do { text = try readTextFile(config) } catch { throw ValidationError("--config \(config): \(error)") }
            do { file = try ConfigFile.parse(text, knownKeys: ProxySettings.configKeys) } catch {
                throw ValidationError("\(config): \(error)")
            }
        }
        var builder = ProxySettings.Builder(file: file)
        builder.list("listen", listen)
        builder.list("upstream", upstream)
        builder.value("balance", balance?.rawValue)
        builder.value("threads", threads.map(String.init))
        builder.value("connect-timeout", connectTimeout.map { "\($0)" })
        builder.value("idle-timeout", idleTimeout.map { "\($0)" })
        builder.value("retries", retries.map(String.init))
        builder.value("max-conns", maxConns.map(String.init))
        builder.value("max-conns-per-ip", maxConnsPerIP.map(String.init))
        builder.value("rate-per-ip", ratePerIP.map { "\($0)" })
        builder.value("ipv6-prefix-len", ipv6PrefixLength.map(String.init))
        builder.value("ip-table-size", ipTableSize.map(String.init))
        builder.list("allow", allow)
        builder.list("deny", deny)
        builder.value("splice", splice?.rawValue)
        builder.value("api", api?.rawValue)
        builder.value("metrics-listen", metricsListen)
        builder.value("drain-timeout", drainTimeout.map { "\($0)" })
        builder.value("log-level", logLevel?.rawValue)
        do { return try builder.build() } catch { throw ValidationError("\(error)") }
    }
}

extension BalancePolicy: ExpressibleByArgument {}
extension SpliceOption: ExpressibleByArgument {}
extension ProxyAPI: ExpressibleByArgument {}
