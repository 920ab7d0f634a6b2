import EventLoop
import EventLoopTLS
import EventLoopTesting
import Glibc
import TestSupport

/// The checked-in test certificates (Certificates/regenerate.sh makes them).
enum TestCertificates {
    static let directory: String = {
        let file = #filePath
        return String(file[..<file.lastIndex(of: "/")!]) + "/Certificates"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    static func identity(_ name: String) throws -> TLSCertifiedKey {
        try TLSCertifiedKey(certificateFile: path(name + ".pem"), keyFile: path(name + ".key"))
    }

    /// A server context presenting `server` (CN/SAN localhost, 127.0.0.1).
    static func serverContext(_ configure: (inout TLSConfiguration) throws -> Void = { _ in }) throws -> TLSContext {
        var configuration = TLSConfiguration.server(certificate: try identity("server"))
        try configure(&configuration)
        return try TLSContext(configuration)
    }

    /// A client context trusting the test CA, verifying the name `localhost`.
    static func clientContext(_ configure: (inout TLSConfiguration) throws -> Void = { _ in }) throws -> TLSContext {
        var configuration = TLSConfiguration.client(serverName: "localhost", trustRoots: .file(path("ca.pem")))
        try configure(&configuration)
        return try TLSContext(configuration)
    }
}

/// Where the `openssl` command is, or nil (the interop tests then skip, saying why).
let opensslPath: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"].first { access($0, X_OK) == 0 }

/// A TLS listener on 127.0.0.1, port 0, collecting handshake errors.
final class TestTLSServer: Sendable {
    let listener: TLSListener
    let errors = ErrorLog()

    init(group: ReactorGroup, context: TLSContext) async throws {
        let tcp = try await Listener.listen(.loopbackIPv4(), group: group)
        let errors = self.errors
        listener = TLSListener(tcp, context: context) { error in errors.append(error) }
    }

    var address: SocketAddress { listener.address }
    func close() { listener.close() }
}

/// Errors reported from other threads, in order.
final class ErrorLog: Sendable {
    private let errors = Locked<[any Error]>([])
    func append(_ error: any Error) { errors.withLock { $0.append(error) } }
    var all: [any Error] { errors.withLock { $0 } }
    var descriptions: [String] { all.map { "\($0)" } }
}

/// Reads until end of stream or an error; returns the bytes and the error (nil: clean end).
func drain(_ conn: some Conn, limit: Int = 1 << 20) async -> ([UInt8], (any Error)?) {
    var bytes: [UInt8] = []
    var buffer = ByteBuffer()
    do {
        while true {
            let count = try await conn.read(into: &buffer)
            if count == 0 { return (bytes, nil) }
            bytes += buffer.readableBytesArray
            buffer.clear()
            if bytes.count > limit { return (bytes, nil) }
        }
    } catch {
        return (bytes, error)
    }
}
