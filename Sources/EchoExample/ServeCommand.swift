import ArgumentParser
import EventLoop
import ExampleSupport
import Logging

/// `EchoExample serve`: the echo server. Raw mode sends bytes back as they came; line mode
/// answers each line with `Echo: <line>`. SIGINT or SIGTERM stops it gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the echo server (the default subcommand)."
    )

    @Option(name: .long, help: "Address to listen on: HOST:PORT, :PORT, [::1]:PORT or unix:/path (repeatable).")
    var listen: [String] = ["0.0.0.0:9000"]

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

    @Option(name: .long, help: "Lower the soft open-file limit to N (to exercise EMFILE handling); by default it is raised to the hard limit.")
    var fdLimit: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let maxConns, maxConns < 1 { throw ValidationError("--max-conns must be at least 1") }
        if maxLine < 1 { throw ValidationError("--max-line must be at least 1") }
        if !(idleTimeout >= 0) { throw ValidationError("--idle-timeout must not be negative") }
        if !(drainTimeout >= 0) { throw ValidationError("--drain-timeout must not be negative") }
        for text in listen {
            do { _ = try SocketAddress(text) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let logger = Logger.console(label: "EchoExample", level: logLevel.level)
        let fdLimit = self.fdLimit.map(FileDescriptorLimit.setSoftLimit) ?? FileDescriptorLimit.raiseToHardLimit()
        let group = try ReactorGroup(count: threads)
        let listeners: [Listener]
        do {
            listeners = try await Self.listen(on: listen, group: group, warning: ResourceWarning(fdLimit: fdLimit, logger: logger))
        } catch {
            await group.shutdown()
            throw error
        }
        let totals = Totals()
        let registry = ConnectionRegistry(limit: maxConns)
        let server = EchoServer(configuration: configuration, registry: registry, totals: totals, logger: logger)
        let shutdown = ShutdownCoordinator()
        let signalSources = shutdown.installSignalHandlers()

        let bound = listeners.map { $0.address.description }.joined(separator: ", ")
        logger.notice("listening on \(bound), \(group.reactors.count) reactors, mode \(mode.rawValue), api \(api.rawValue), fd limit \(fdLimit)")
        await withTaskGroup(of: Void.self) { serving in
            for listener in listeners {
                serving.addTask { await server.serve(listener) }
            }
            let signal = await shutdown.waitForSignal()
            logger.info("\(ShutdownCoordinator.name(of: signal)): shutting down")
            await shutdown.drain(listeners, registry: registry, timeout: .seconds(drainTimeout), totals: totals, logger: logger)
        }
        await group.shutdown()
        logger.notice("stopped: \(totals.summary)")
        signalSources.forEach { $0.cancel() }
    }

    /// The server's settings from the flags.
    var configuration: EchoServer.Configuration {
        EchoServer.Configuration(
            mode: mode,
            api: api,
            idleTimeout: idleTimeout > 0 ? .seconds(idleTimeout) : nil,
            maxLineLength: maxLine
        )
    }

    /// Opens every listener (closing those already open when one fails).
    static func listen(on addresses: [String], group: ReactorGroup, warning: ResourceWarning) async throws -> [Listener] {
        var listeners: [Listener] = []
        do {
            for text in addresses {
                let listener = try await Listener.listen(text, group: group)
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
