import COpenSSL
import Glibc

/// Reading PEM input from files and parsing it with OpenSSL.
enum PEMFile {
    /// The bytes of the file at `path`; throws naming the file and the system's reason.
    static func read(_ path: String) throws(TLSConfigurationError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw TLSConfigurationError(file: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: chunk[..<count]) }
            if count < chunk.count {
                if ferror(file) != 0 { throw TLSConfigurationError(file: path, reason: String(cString: strerror(errno))) }
                break
            }
            if bytes.count > 16 << 20 { throw TLSConfigurationError(file: path, reason: "larger than 16 MiB: not a PEM file") }
        }
        return bytes
    }

    /// Runs `body` with a read-only memory BIO over `bytes`.
    static func withBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) throws(TLSConfigurationError) -> R) throws(TLSConfigurationError) -> R {
        let bio: OpaquePointer? = bytes.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw TLSConfigurationError(file: nil, reason: "out of memory") }
        defer { BIO_free(bio) }
        // BIO_new_mem_buf does not copy: `bytes` must stay put while the BIO is read.
        return try withExtendedLifetime(bytes) { () throws(TLSConfigurationError) -> R in try body(bio) }
    }

    /// Every certificate in `bytes` (PEM), in order; throws when there is none.
    static func certificates(_ bytes: [UInt8], file: String?) throws(TLSConfigurationError) -> [OpaquePointer] {
        OpenSSLErrorQueue.clear()
        let found = try withBIO(bytes) { bio throws(TLSConfigurationError) -> [OpaquePointer] in
            var certificates: [OpaquePointer] = []
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(certificate) }
            return certificates
        }
        // The loop ends with "no start line" in the queue: that is the end of input.
        let reason = OpenSSLErrorQueue.drain(fallback: "no PEM certificate found")
        guard !found.isEmpty else { throw TLSConfigurationError(file: file, reason: "no certificate: \(reason)") }
        return found
    }

    /// The private key in `bytes` (PEM); throws for an encrypted key, none, or an unreadable one.
    static func privateKey(_ bytes: [UInt8], file: String?) throws(TLSConfigurationError) -> OpaquePointer {
        if contains(bytes, "ENCRYPTED") {
            throw TLSConfigurationError(file: file, reason: "the private key is encrypted (passphrase-protected keys are not supported)")
        }
        OpenSSLErrorQueue.clear()
        // A password callback that refuses: OpenSSL's default would prompt on the terminal.
        let refuse: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in -1 }
        let key = try withBIO(bytes) { bio throws(TLSConfigurationError) in PEM_read_bio_PrivateKey(bio, nil, refuse, nil) }
        guard let key else {
            let reason = OpenSSLErrorQueue.drain(fallback: "no PEM private key found")
            throw TLSConfigurationError(file: file, reason: "no usable private key: \(reason)")
        }
        OpenSSLErrorQueue.clear()
        return key
    }

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if bytes[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
