import Foundation
import Glibc

/// The EventLoopTLS suite's checked-in certificates (Tests/EventLoopTLSTests/Certificates),
/// found from this file's path.
enum TLSTestFiles {
    static let directory: String = {
        let file = #filePath
        let tests = file[..<file.lastIndex(of: "/")!].dropLast("/EchoExampleTests/TLS".count)
        return String(tests) + "/EventLoopTLSTests/Certificates"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// `serve` flags presenting the test server certificate (localhost, 127.0.0.1).
    static let serverFlags = ["--tls-cert", path("server.pem"), "--tls-key", path("server.key")]

    /// Where the `openssl` command is, or nil (tests needing it skip, saying why).
    static let openssl: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"].first { access($0, X_OK) == 0 }

    /// A temporary file holding `text` (removed by the caller).
    static func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "echo-tls-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
