import EventLoopTLS
import Glibc
import Testing

/// Bad certificate and key input fails when the configuration is built, with a typed error
/// naming the file and the reason.
@Suite struct TLSConfigurationTests {
    let certificates = TestCertificates.self

    @Test func missingFileIsNamed() throws {
        let missing = certificates.path("no-such.pem")
        let error = #expect(throws: TLSConfigurationError.self) {
            _ = try TLSCertifiedKey(certificateFile: missing, keyFile: certificates.path("server.key"))
        }
        #expect(error?.file == missing)
        #expect(error?.reason == "No such file or directory")
        #expect(error?.description == "tls configuration \(missing): No such file or directory")
    }

    @Test func unreadableFileIsNamed() throws {
        let path = "/tmp/eventloop-tls-test-\(getpid())-unreadable.key"
        let source = try #require(fopen(certificates.path("server.key"), "r"))
        fclose(source)
        let created = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o000)
        #expect(created >= 0)
        close(created)
        defer { unlink(path) }
        if geteuid() == 0 {
            print("skipped the unreadable-file check: running as root, every file is readable")
            return
        }
        let error = #expect(throws: TLSConfigurationError.self) {
            _ = try TLSCertifiedKey(certificateFile: certificates.path("server.pem"), keyFile: path)
        }
        #expect(error?.file == path)
        #expect(error?.reason == "Permission denied")
    }

    @Test func mismatchedKeyIsRefused() throws {
        let error = #expect(throws: TLSConfigurationError.self) {
            _ = try TLSCertifiedKey(certificateFile: certificates.path("server.pem"), keyFile: certificates.path("client.key"))
        }
        #expect(error?.file == certificates.path("client.key"))
        #expect(error?.reason.contains("does not match") == true)
    }

    @Test func encryptedKeyIsRefused() throws {
        let error = #expect(throws: TLSConfigurationError.self) {
            _ = try TLSCertifiedKey(certificateFile: certificates.path("server.pem"), keyFile: certificates.path("encrypted.key"))
        }
        #expect(error?.file == certificates.path("encrypted.key"))
        #expect(error?.reason.contains("encrypted") == true)
    }

    @Test func keyGivenAsCertificateIsRefused() throws {
        let error = #expect(throws: TLSConfigurationError.self) {
            _ = try TLSCertifiedKey(certificateFile: certificates.path("server.key"), keyFile: certificates.path("server.key"))
        }
        #expect(error?.file == certificates.path("server.key"))
        #expect(error?.reason.contains("no certificate") == true)
    }

    @Test func certificateAndKeyFromMemory() throws {
        func text(_ name: String) throws -> String {
            let file = try #require(fopen(certificates.path(name), "r"))
            defer { fclose(file) }
            var bytes: [UInt8] = []
            while true {
                let character = fgetc(file)
                if character == EOF { break }
                bytes.append(UInt8(character))
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let identity = try TLSCertifiedKey(certificatePEM: try text("server.pem"), keyPEM: try text("server.key"))
        #expect(identity.subject == "/CN=localhost")
        #expect(throws: TLSConfigurationError.self) { _ = try TLSCertifiedKey(certificatePEM: "junk", keyPEM: "junk") }
    }

    @Test func missingCAFileFailsTheContext() throws {
        let missing = certificates.path("no-such-ca.pem")
        let error = #expect(throws: TLSConfigurationError.self) {
            _ = try TLSContext(.client(serverName: "localhost", trustRoots: .file(missing)))
        }
        #expect(error?.file == missing)
    }

    @Test func serverWithoutCertificateAndBadALPNAreRefused() throws {
        #expect(throws: TLSConfigurationError.self) { _ = try TLSContext(TLSConfiguration(role: .server)) }
        var configuration = TLSConfiguration.client()
        configuration.applicationProtocols = [""]
        #expect(throws: TLSConfigurationError.self) { _ = try TLSContext(configuration) }
        configuration.applicationProtocols = ["h2"]
        configuration.minimumVersion = .tls13
        configuration.maximumVersion = .tls12
        #expect(throws: TLSConfigurationError.self) { _ = try TLSContext(configuration) }
    }
}
