import EventLoop
import Glibc

/// `MinimalProxy --listen HOST:PORT --upstream HOST:PORT [--threads N]`: the proxy example's
/// forwarding with nothing around it (connect timeout 3 s, idle timeout 300 s, copy loops,
/// resets passed on), until killed.
let arguments = Array(CommandLine.arguments.dropFirst())
func value(of flag: String) -> String? {
    guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
guard let listen = value(of: "--listen"), let upstreamText = value(of: "--upstream") else {
    print("usage: MinimalProxy --listen HOST:PORT --upstream HOST:PORT [--threads N]")
    exit(2)
}
let upstream = try SocketAddress(upstreamText)
let group = try ReactorGroup(count: value(of: "--threads").flatMap(Int.init) ?? 2)
let listener = try await Listener.listen(listen, group: group)
let dialer = Dialer(timeout: .seconds(3))
let options = RelayOptions(splice: .off, idleTimeout: .seconds(300), passResetOn: true)
if arguments.contains("--callbacks") {
    // The same forwarding without a task per client: reactor-thread callbacks throughout.
    listener.serveConnections { client in
        dialer.dial(upstream, on: client.reactor) { dialled in
            guard case .success(let conn) = dialled else { return client.close() }
            client.relay(with: conn, options: options) { _ in
                client.close()
                conn.close()
            }
        }
    }
    await listener.waitUntilClosed()
}
await listener.serve { client in
    defer { client.close() }
    guard let conn = try? await dialer.dial(upstream, on: client.reactor) else { return }
    defer { conn.close() }
    _ = try? await client.relay(with: conn, options: options)
}
