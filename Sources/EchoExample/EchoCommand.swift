import ArgumentParser
import Dispatch
import EventLoop
import Glibc
import Synchronization

/// Set by the first SIGINT/SIGTERM; a second one exits at once.
private let signalSeen = Atomic<Bool>(false)

/// `EchoExample`: an echo server on the EventLoop library.
@main
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "EchoExample",
        abstract: "An echo server on the EventLoop library: every byte goes back as it came."
    )

    @Option(name: .long, help: "Address to listen on: HOST:PORT, :PORT, [::1]:PORT or unix:/path (repeatable).")
    var listen: [String] = ["0.0.0.0:9000"]

    @Option(name: .long, help: "Reactor threads (default: one per available core).")
    var threads: Int?

    @Option(name: .long, help: "Library level: async (one task per connection) or handler (callbacks).")
    var api: API = .async

    @Option(name: .long, help: "Lower the soft open-file limit to N (to exercise EMFILE handling).")
    var fdLimit: Int?

    enum API: String, ExpressibleByArgument, CaseIterable {
        case async, handler
    }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        for text in listen {
            do { _ = try SocketAddress(text) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let fdLimit = self.fdLimit.map(FileDescriptorLimit.setSoftLimit) ?? FileDescriptorLimit.raiseToHardLimit()
        let group = try ReactorGroup(count: threads)
        var listeners: [Listener] = []
        for text in listen {
            let listener = try await Listener.listen(text, group: group)
            listener.onResourceExhausted(ResourceWarning(fdLimit: fdLimit).report)
            listeners.append(listener)
        }
        let bound = listeners.map { $0.address.description }.joined(separator: ", ")
        print("listening on \(bound), \(group.reactors.count) reactors, api \(api.rawValue), fd limit \(fdLimit)")
        Self.flushStandardOutput()

        let serving = listeners
        let signals = Self.stopOnSignals { serving.forEach { $0.close() } }
        await withTaskGroup(of: Void.self) { tasks in
            for listener in listeners {
                tasks.addTask {
                    switch api {
                    case .async: await EchoServer.serveAsync(listener)
                    case .handler: await EchoServer.serveHandlers(listener)
                    }
                }
            }
        }
        signals.forEach { $0.cancel() }
        await group.shutdown()
        print("stopped")
    }

    /// SIGINT and SIGTERM run `stop` once; a second signal exits at once.
    static func stopOnSignals(_ stop: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if signalSeen.exchange(true, ordering: .relaxed) { Glibc.exit(1) }
                stop()
            }
            source.resume()
            return source
        }
    }

    static func flushStandardOutput() { fflush(nil) }
}
