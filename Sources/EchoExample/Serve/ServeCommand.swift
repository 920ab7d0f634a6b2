import ArgumentParser
import EventLoop
import EventLoopServiceLifecycle
import EventLoopTLS
import ExampleSupport
import Logging
import ServiceLifecycle

/// `EchoExample serve`: the echo server. Raw mode sends bytes back as they came; line mode
/// answers each line with `Echo: <line>`; a `--udp-listen` address echoes each datagram back
/// to its sender. SIGINT or SIGTERM stops it gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the echo server (the default subcommand)."
    )

    @Option(name: .long, help: "Address to listen on: HOST:PORT, :PORT, [::1]:PORT or unix:/path (repeatable; default 0.0.0.0:9000 unless only --udp-listen is given).")
    var listen: [String] = []

    @Option(name: .long, help: "UDP address to echo datagrams on: HOST:PORT, [::1]:PORT or unix:/path for Unix datagrams (repeatable; one SO_REUSEPORT socket per reactor).")
    var udpListen: [String] = []

    @Option(name: .long, help: ArgumentHelp("UDP datagrams per recvmmsg/sendmmsg (1: one recvmsg and sendmsg each).", valueName: "n"))
    var udpBatch: Int = 32

    @Flag(name: .long, inversion: .prefixedNo, help: "UDP: send runs of equal echoes to one sender as one segmented send (UDP_SEGMENT).")
    var udpGso = true

    @Option(name: .long, help: "Reactor threads (default: one per available core).")
    var threads: Int?

    @Option(name: .long, help: "raw: bytes back as they came; line: each line answered with \"Echo: <line>\".")
    var mode: EchoServer.Mode = .raw

    @Option(name: .long, help: "Library level: async (one task per connection) or handler (callbacks).")
    var api: EchoServer.API = .async

    @Option(name: .long, help: ArgumentHelp("Close a connection idle this long (0: never).", valueName: "seconds"))
    var idleTimeout: Double = 0

    @Option(name: .long, help: ArgumentHelp("Connections open at most; one more is accepted and closed at once.", valueName: "n"))
    var maxConns: Int?

    @Option(name: .long, help: ArgumentHelp("Longest line in line mode, in bytes; a longer one closes the connection.", valueName: "bytes"))
    var maxLine: Int = 65_536

    @Option(name: .long, help: ArgumentHelp("On SIGINT/SIGTERM, how long open connections may finish.", valueName: "seconds"))
    var drainTimeout: Double = 5

    @Option(name: .long, help: "trace (every line), debug (every connection), info, notice, warning, error or critical.")
    var logLevel: LogLevelOption = .info

    @Option(name: .long, help: "Log lines as text (the default) or json (one object per line: level, message, metadata).")
    var logFormat: LogFormat = .text

    @Option(name: .long, help: "Lower the soft open-file limit to N (to exercise EMFILE handling); by default it is raised to the hard limit.")
    var fdLimit: Int?

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics (the reactors' statistics) at http://HOST:PORT/metrics.", valueName: "host:port"))
    var metrics: String?

    @Option(name: .customLong("tcp-keepalive"), help: ArgumentHelp("Probe a connection idle this long, every third of it (at least 1 s), and close it after 3 unanswered probes: a dead peer is noticed (0: off).", valueName: "seconds"))
    var tcpKeepAlive: Int = 0

    @Option(name: .customLong("tcp-user-timeout"), help: ArgumentHelp("Close a connection whose peer leaves data we sent unacknowledged this long (TCP_USER_TIMEOUT; 0: off).", valueName: "seconds"))
    var tcpUserTimeout: Double = 0

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Serve TLS with this PEM certificate chain (leaf first); needs --tls-key.", valueName: "path"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert (not passphrase-protected).", valueName: "path"))
    var tlsKey: String?

    @Option(name: .customLong("tls-client-ca"), help: ArgumentHelp("Require client certificates issued by the CAs in this PEM file (mutual TLS).", valueName: "path"))
    var tlsClientCA: String?

    @Option(name: .customLong("alpn"), help: ArgumentHelp("An ALPN protocol to offer (repeatable, in the server's order of preference).", valueName: "proto"))
    var alpn: [String] = []

    @Option(name: .customLong("tls-handshake-timeout"), help: ArgumentHelp("Close a connection whose TLS handshake has not completed this long after it began.", valueName: "seconds"))
    var tlsHandshakeTimeout: Double = 10

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsCert == nil && (tlsClientCA != nil || !alpn.isEmpty) {
            throw ValidationError("--tls-client-ca and --alpn need --tls-cert and --tls-key")
        }
        if !(tlsHandshakeTimeout > 0) { throw ValidationError("--tls-handshake-timeout must be more than 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let maxConns, maxConns < 1 { throw ValidationError("--max-conns must be at least 1") }
        if maxLine < 1 { throw ValidationError("--max-line must be at least 1") }
        if !(idleTimeout >= 0) { throw ValidationError("--idle-timeout must not be negative") }
        if !(drainTimeout >= 0) { throw ValidationError("--drain-timeout must not be negative") }
        if !(1...64).contains(udpBatch) { throw ValidationError("--udp-batch must be between 1 and 64") }
        if tcpKeepAlive < 0 { throw ValidationError("--tcp-keepalive must not be negative") }
        if !(tcpUserTimeout >= 0) { throw ValidationError("--tcp-user-timeout must not be negative") }
        do { _ = try tcpOptions() } catch { throw ValidationError("--tcp-keepalive/--tcp-user-timeout: \(error)") }
        for text in listen + udpListen + (metrics.map { [$0] } ?? []) {
            do { _ = try SocketAddress(text) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let logger = Logger.console(label: "EchoExample", level: logLevel.level, format: logFormat)
        let tls: TLSContext?
        do {
            tls = try tlsContext()
        } catch {
            // One line naming the file and the reason, before anything is opened.
            standardError("EchoExample: \(error)\n")
            throw ExitCode.failure
        }
        let fdLimit = self.fdLimit.map(FileDescriptorLimit.setSoftLimit) ?? FileDescriptorLimit.raiseToHardLimit()
        let group = try ReactorGroup(count: threads)
        let listeners: [Listener]
        let udpListeners: [UDPListener]
        var metricsListener: Listener?
        do {
            if let metrics {
                metricsListener = try await Listener.listen(try SocketAddress(metrics), group: group)
            }
            listeners = try await Self.listen(on: tcpAddresses, group: group, options: try tcpOptions(),
                                              warning: ResourceWarning(fdLimit: fdLimit, logger: logger))
            do {
                udpListeners = try await Self.listenUDP(on: udpListen, group: group, segmentation: udpGso)
            } catch {
                listeners.forEach { $0.close() }
                throw error
            }
        } catch {
            metricsListener?.close()
            await group.shutdown()
            throw error
        }
        let totals = Totals()
        let registry = ConnectionRegistry(limit: maxConns)
        var configuration = self.configuration
        configuration.tls = tls
        let server = EchoServer(configuration: configuration, registry: registry, totals: totals, logger: logger)
        // Output into a closed pipe is an error the output functions drop, not the end of the program.
        Reactor.ignoreSIGPIPE()

        let bound = (listeners.map { $0.address.description } + udpListeners.map { "udp \($0.address)" }).joined(separator: ", ")
        let startLine = "listening on \(bound), \(group.reactors.count) reactors, mode \(mode.rawValue), api \(api.rawValue)\(tls == nil ? "" : ", tls"), \(try tcpOptions().summary), fd limit \(fdLimit)"
        let signalWatch = await StopSignalWatch(logger: logger)
        // SIGTERM and SIGINT: a graceful shutdown in reverse order of this list (the listeners
        // drain, then the reactors stop); a second signal cancels everything (StopSignalWatch).
        var services = [signalWatch.configuration, .init(service: ReactorGroupService(group))]
        if let metricsListener {
            let page = EchoMetricsPage(group: group)
            logger.info("metrics at http://\(metricsListener.address)/metrics")
            services.append(.init(service: TCPServerService(listener: metricsListener, drainTimeout: .seconds(1)) { conn in
                await MetricsServer.handle(conn, metrics: page, logger: logger)
            }))
        }
        services.append(.init(service: EchoService(server: server, listeners: listeners, udpListeners: udpListeners, drainTimeout: .seconds(drainTimeout), startLine: startLine)))
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: StopSignalWatch.gracefulShutdownSignals,
            logger: logger
        ))
        try await serviceGroup.runExitingOnSecondSignal()
        logger.notice("stopped: \(totals.summary)")
    }

    /// The server's settings from the flags.
    var configuration: EchoServer.Configuration {
        EchoServer.Configuration(
            mode: mode,
            api: api,
            idleTimeout: idleTimeout > 0 ? .seconds(idleTimeout) : nil,
            maxLineLength: maxLine,
            udpBatch: udpBatch
        )
    }

    /// The server context from `--tls-cert`, `--tls-key`, `--tls-client-ca`, `--alpn` and
    /// `--tls-handshake-timeout`, or nil without `--tls-cert`. Throws `TLSConfigurationError`
    /// (the file and the reason).
    func tlsContext() throws(TLSConfigurationError) -> TLSContext? {
        guard let tlsCert, let tlsKey else { return nil }
        var tls = TLSConfiguration.server(certificate: try TLSCertifiedKey(certificateFile: tlsCert, keyFile: tlsKey))
        tls.clientCertificateRoots = tlsClientCA.map { .file($0) }
        tls.applicationProtocols = alpn
        tls.handshakeTimeout = .seconds(tlsHandshakeTimeout)
        return try TLSContext(tls)
    }

    /// Keepalive and user timeout of every accepted connection, from `--tcp-keepalive` and
    /// `--tcp-user-timeout`.
    func tcpOptions() throws(NetError) -> TCPOptions {
        try TCPOptions(keepAliveSeconds: tcpKeepAlive, userTimeoutSeconds: tcpUserTimeout)
    }

    /// The TCP and Unix stream addresses: `--listen`, or 0.0.0.0:9000 when neither `--listen`
    /// nor `--udp-listen` is given.
    var tcpAddresses: [String] {
        listen.isEmpty && udpListen.isEmpty ? ["0.0.0.0:9000"] : listen
    }

    /// Opens every UDP listener (closing those already open when one fails). A socket bound to
    /// a wildcard address reads each datagram's destination, to answer from it.
    static func listenUDP(on addresses: [String], group: ReactorGroup, segmentation: Bool) async throws -> [UDPListener] {
        var listeners: [UDPListener] = []
        do {
            for text in addresses {
                let address = try SocketAddress(text)
                let wildcard = address.host == "0.0.0.0" || address.host == "::"
                let options = DatagramOptions(dualStack: address.host == "::", packetInfo: wildcard, segmentationOffload: segmentation)
                listeners.append(try await UDPListener.listen(address, group: group, options: options))
            }
        } catch {
            listeners.forEach { $0.close() }
            throw error
        }
        return listeners
    }

    /// Opens every listener (closing those already open when one fails).
    static func listen(on addresses: [String], group: ReactorGroup, options: TCPOptions,
                       warning: ResourceWarning) async throws -> [Listener] {
        var listeners: [Listener] = []
        do {
            for text in addresses {
                let listener = try await Listener.listen(text, group: group, options: options)
                listener.onResourceExhausted(warning.report)
                listeners.append(listener)
            }
        } catch {
            listeners.forEach { $0.close() }
            throw error
        }
        return listeners
    }
}

extension EchoServer.Mode: ExpressibleByArgument {}
extension EchoServer.API: ExpressibleByArgument {}
