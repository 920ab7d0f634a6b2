/// Reads the server name (SNI) out of the first bytes a TLS client sends, without terminating
/// TLS: what a pass-through proxy needs to route a connection by name and then relay the bytes
/// unchanged.
///
/// The parser allocates nothing and copies nothing: it walks the bytes in place and returns
/// offsets (``peek(_:)``); `serverName(in:)` makes a `String` only for the name it found.
/// O(n) in the bytes given; any thread.
public enum TLSClientHello {
    /// What the bytes seen so far say, with the name as a range of the input.
    public enum Peek: Sendable, Hashable {
        /// A ClientHello with this server name (the byte range of the input holding it).
        case serverName(Range<Int>)
        /// A complete ClientHello without a server name.
        case noServerName
        /// A TLS ClientHello may follow, but its first record is not complete yet: read more.
        case needMoreBytes
        /// Not a TLS ClientHello (another protocol, or a malformed or unsupported hello: one
        /// split over several records is reported so too).
        case notTLS
    }

    /// What `serverName(in:)` found.
    public enum ServerName: Sendable, Hashable {
        /// The server name the client asked for (as sent, ASCII).
        case name(String)
        /// A complete ClientHello without a server name.
        case noServerName
        /// The first record is not complete: read more bytes and ask again.
        case needMoreBytes
        /// Not a TLS ClientHello.
        case notTLS
    }

    /// The server name in `bytes` (the start of a connection's stream).
    public static func serverName(in bytes: UnsafeRawBufferPointer) -> ServerName {
        switch peek(bytes) {
        case .serverName(let range):
            return .name(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self))
        case .noServerName: return .noServerName
        case .needMoreBytes: return .needMoreBytes
        case .notTLS: return .notTLS
        }
    }

    /// `serverName(in:)` for an array or other contiguous bytes.
    public static func serverName(in bytes: [UInt8]) -> ServerName {
        bytes.withUnsafeBytes { serverName(in: $0) }
    }

    /// Parses the first TLS record of `bytes` as a ClientHello. Allocates nothing.
    public static func peek(_ bytes: UnsafeRawBufferPointer) -> Peek {
        // Record header: type 22 (handshake), version 3.x, length.
        if bytes.count >= 1 && bytes[0] != 22 { return .notTLS }
        if bytes.count >= 2 && bytes[1] != 3 { return .notTLS }
        if bytes.count >= 6 && bytes[5] != 1 { return .notTLS }  // handshake type: client_hello
        guard bytes.count >= 5 else { return .needMoreBytes }
        let recordLength = Int(bytes[3]) << 8 | Int(bytes[4])
        guard recordLength >= 4 && recordLength <= 16_384 + 2048 else { return .notTLS }
        guard bytes.count >= 5 + recordLength else { return .needMoreBytes }
        var reader = Reader(bytes: bytes, position: 5, end: 5 + recordLength)
        guard reader.byte() == 1, let length = reader.uint24(), length <= reader.remaining else { return .notTLS }
        reader.end = reader.position + length
        guard reader.skip(2 + 32),                       // client_version, random
              let sessionID = reader.byte(), reader.skip(Int(sessionID)),
              let ciphers = reader.uint16(), reader.skip(ciphers),
              let compression = reader.byte(), reader.skip(Int(compression)) else { return .notTLS }
        if reader.remaining == 0 { return .noServerName }
        guard let extensionsLength = reader.uint16(), extensionsLength <= reader.remaining else { return .notTLS }
        reader.end = reader.position + extensionsLength
        while reader.remaining > 0 {
            guard let type = reader.uint16(), let size = reader.uint16(), size <= reader.remaining else { return .notTLS }
            guard type == 0 else {
                _ = reader.skip(size)
                continue
            }
            var names = Reader(bytes: bytes, position: reader.position, end: reader.position + size)
            guard let listLength = names.uint16(), listLength <= names.remaining else { return .notTLS }
            names.end = names.position + listLength
            while names.remaining > 0 {
                guard let nameType = names.byte(), let nameLength = names.uint16(), nameLength <= names.remaining else { return .notTLS }
                if nameType == 0 {
                    guard nameLength > 0 else { return .notTLS }
                    return .serverName(names.position..<(names.position + nameLength))
                }
                _ = names.skip(nameLength)
            }
            return .noServerName
        }
        return .noServerName
    }

    /// A bounds-checked cursor over the input (a value on the stack).
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        var end: Int

        var remaining: Int { end - position }

        mutating func byte() -> UInt8? {
            guard remaining >= 1 else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func uint16() -> Int? {
            guard remaining >= 2 else { return nil }
            defer { position += 2 }
            return Int(bytes[position]) << 8 | Int(bytes[position + 1])
        }

        mutating func uint24() -> Int? {
            guard remaining >= 3 else { return nil }
            defer { position += 3 }
            return Int(bytes[position]) << 16 | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2])
        }

        mutating func skip(_ count: Int) -> Bool {
            guard remaining >= count else { return false }
            position += count
            return true
        }
    }
}
