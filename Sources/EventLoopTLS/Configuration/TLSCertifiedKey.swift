import COpenSSL

// @unchecked Sendable: the OpenSSL objects are parsed in `init`, never changed afterwards, and
// only read (OpenSSL's reference counts are atomic) by the contexts that install them.
/// A certificate chain and its private key, parsed and checked when made: the identity a
/// server presents (or a client, for mutual TLS).
///
/// Making one reads the files, parses the PEM and checks that the key matches the leaf
/// certificate, so a bad file is reported when the configuration is built, never at the first
/// handshake. Errors are ``TLSConfigurationError`` values naming the file and the reason
/// (missing, unreadable, no certificate, encrypted key, key not matching). Immutable; share it
/// freely between configurations and threads.
public final class TLSCertifiedKey: @unchecked Sendable {
    /// The leaf certificate (X509*).
    let leaf: OpaquePointer
    /// The intermediates after the leaf, in file order (X509*).
    let chain: [OpaquePointer]
    /// The private key (EVP_PKEY*).
    let key: OpaquePointer

    /// Reads the chain (leaf first, then intermediates) and the key from PEM files.
    public convenience init(certificateFile: String, keyFile: String) throws(TLSConfigurationError) {
        let certificates = try PEMFile.read(certificateFile)
        let key = try PEMFile.read(keyFile)
        try self.init(certificatePEM: certificates, keyPEM: key, certificateFile: certificateFile, keyFile: keyFile)
    }

    /// Takes the chain and the key as PEM text in memory.
    public convenience init(certificatePEM: String, keyPEM: String) throws(TLSConfigurationError) {
        try self.init(certificatePEM: Array(certificatePEM.utf8), keyPEM: Array(keyPEM.utf8), certificateFile: nil, keyFile: nil)
    }

    init(certificatePEM: [UInt8], keyPEM: [UInt8], certificateFile: String?, keyFile: String?) throws(TLSConfigurationError) {
        let certificates = try PEMFile.certificates(certificatePEM, file: certificateFile)
        let key: OpaquePointer
        do {
            key = try PEMFile.privateKey(keyPEM, file: keyFile)
        } catch {
            certificates.forEach { X509_free($0) }
            throw error
        }
        guard X509_check_private_key(certificates[0], key) == 1 else {
            OpenSSLErrorQueue.clear()
            certificates.forEach { X509_free($0) }
            EVP_PKEY_free(key)
            throw TLSConfigurationError(file: keyFile ?? certificateFile,
                                        reason: "the private key does not match the certificate\(certificateFile.map { " in \($0)" } ?? "")")
        }
        leaf = certificates[0]
        chain = Array(certificates.dropFirst())
        self.key = key
    }

    deinit {
        X509_free(leaf)
        chain.forEach { X509_free($0) }
        EVP_PKEY_free(key)
    }

    /// The leaf certificate's subject, one line (`/CN=localhost`).
    public var subject: String { TLSCertifiedKey.subjectLine(of: leaf) }

    /// The one-line subject of an X509 certificate.
    static func subjectLine(of certificate: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(certificate), let text = X509_NAME_oneline(name, nil, 0) else { return "" }
        defer { CRYPTO_free(text, #fileID, #line) }
        return String(cString: text)
    }
}
