import EventLoop
import EventLoopTLS
import EventLoopTesting
import TestSupport

/// The TLS library's checked-in test certificates (Tests/EventLoopTLSTests/Certificates).
enum ProxyTestCertificates {
    static let directory: String = {
        let file = #filePath
        let tests = file[..<file.range(of: "/ProxyExampleTests/")!.lowerBound]
        return String(tests) + "/EventLoopTLSTests/Certificates"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// The proxy's flags to terminate TLS with the `localhost` certificate.
    static var terminationFlags: [String] { ["--tls-cert", path("server.pem"), "--tls-key", path("server.key")] }

    /// A client trusting the test CA, verifying the name `localhost`.
    static func clientContext() throws -> TLSContext {
        var configuration = TLSConfiguration.client(serverName: "localhost", trustRoots: .file(path("ca.pem")))
        configuration.handshakeTimeout = .seconds(20)
        return try TLSContext(configuration)
    }

    /// A server presenting `certificate` (a file in the directory) with `server.key`.
    static func serverContext(certificate: String = "server.pem", key: String = "server.key") throws -> TLSContext {
        var configuration = TLSConfiguration.server(
            certificate: try TLSCertifiedKey(certificateFile: path(certificate), keyFile: path(key)))
        configuration.handshakeTimeout = .seconds(20)
        return try TLSContext(configuration)
    }
}

/// An in-process TLS echo server on 127.0.0.1, port 0: echoes until `close_notify`, then
/// sends its own.
final class TLSEchoUpstream: Sendable {
    let listener: TLSListener
    private let task: Task<Void, Never>

    init(group: ReactorGroup, context: TLSContext) async throws {
        let listener = TLSListener(try await Listener.listen(.loopbackIPv4(), group: group), context: context) { _ in }
        self.listener = listener
        task = Task {
            await listener.serve { conn in
                defer { conn.close() }
                var buffer = ByteBuffer()
                while let count = try? await conn.read(into: &buffer), count > 0 {
                    guard (try? await conn.write(buffer)) != nil else { return }
                    buffer.clear()
                }
                try? await conn.closeWrite()
            }
        }
    }

    var port: UInt16 { listener.address.port ?? 0 }

    func close() async {
        listener.close()
        await task.value
    }
}

extension Conn {
    /// Reads until a clean end of stream (or an error): the text that arrived.
    func readAllText(limit: Int = 1 << 20) async -> String {
        var buffer = ByteBuffer()
        while buffer.readableBytes <= limit {
            guard let count = try? await read(into: &buffer), count > 0 else { break }
        }
        return buffer.readString(length: buffer.readableBytes) ?? ""
    }
}
