/// The PROXY protocol header parser (HAProxy's specification, versions 1 and 2, detected from
/// the first byte): reads the header at the start of a connection's first bytes.
///
/// Stateless and allocation-free: ``parse(_:maximumLength:)`` looks at the bytes received so
/// far and says whether they hold a whole header, the start of one, or something else. Call it
/// again from the start with more bytes after ``ProxyHeaderParseResult/incomplete``. O(n) in
/// the bytes looked at (at most the header's length). Any thread.
///
/// Handled: v1 `TCP4`, `TCP6` and `UNKNOWN`; v2 `PROXY` and `LOCAL` with `AF_INET`, `AF_INET6`,
/// `AF_UNSPEC` and `AF_UNIX` (the last two carry no usable address). v2 TLVs are skipped: the
/// header's length covers them, and nothing in them is read.
public enum ProxyHeaderParser {
    /// The longest v1 header the specification allows, `\r\n` included: 107 bytes.
    public static let v1MaximumLength = 107
    /// The fixed part of a v2 header: signature, version and command, family, length.
    public static let v2PreambleLength = 16
    /// The longest v2 header the specification allows: 16 + 65535 bytes.
    public static let v2MaximumLength = 16 + 65535
    /// The v2 signature: `\r\n\r\n\0\r\nQUIT\n`.
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// The v1 signature: `PROXY `.
    static let v1Signature: [UInt8] = Array("PROXY ".utf8)

    /// Parses the header at the start of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: the connection's first bytes (all received so far).
    ///   - maximumLength: the longest v2 header accepted (16 + length); a longer one is
    ///     ``ProxyHeaderError/tooLong(length:maximum:)`` as soon as its preamble is in. v1 is
    ///     always limited to ``v1MaximumLength``.
    /// - Returns: the header (with its length on the wire), `.incomplete` when `bytes` are a
    ///   valid start of one, or why they cannot be.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maximumLength: Int = v2MaximumLength) -> ProxyHeaderParseResult {
        guard let first = bytes.first else { return .incomplete }
        if first == v2Signature[0] { return parseV2(bytes, maximumLength: maximumLength) }
        if first == v1Signature[0] { return parseV1(bytes) }
        return .invalid(.missingSignature)
    }

    /// True when the first `min(bytes.count, signature.count)` bytes match `signature`.
    static func startsLike(_ bytes: UnsafeRawBufferPointer, _ signature: [UInt8]) -> Bool {
        for index in 0..<min(bytes.count, signature.count) where bytes[index] != signature[index] {
            return false
        }
        return true
    }

    static func parseV2(_ bytes: UnsafeRawBufferPointer, maximumLength: Int) -> ProxyHeaderParseResult {
        guard startsLike(bytes, v2Signature) else { return .invalid(.missingSignature) }
        guard bytes.count > 12 else { return .incomplete }
        let versionAndCommand = bytes[12]
        guard versionAndCommand >> 4 == 2 else { return .invalid(.unsupportedVersion(versionAndCommand >> 4)) }
        let command: ProxyHeader.Command
        switch versionAndCommand & 0x0F {
        case 0: command = .local
        case 1: command = .proxy
        case let other: return .invalid(.unsupportedCommand(other))
        }
        guard bytes.count > 13 else { return .incomplete }
        let family = bytes[13]
        // Families: 0 unspecified, 1 inet, 2 inet6, 3 unix; transports: 0 unspecified, 1 stream, 2 datagram.
        guard family >> 4 <= 3, family & 0x0F <= 2 else { return .invalid(.unsupportedFamily(family)) }
        guard bytes.count >= v2PreambleLength else { return .incomplete }
        let length = Int(bytes[14]) << 8 | Int(bytes[15])
        let total = v2PreambleLength + length
        guard total <= maximumLength else { return .invalid(.tooLong(length: total, maximum: maximumLength)) }
        let needed = command == .local ? 0 : addressBlockLength(family: family >> 4)
        guard length >= needed else { return .invalid(.addressFamilyMismatch) }
        guard bytes.count >= total else { return .incomplete }
        var header = ProxyHeader(version: .v2, command: command, source: nil, destination: nil, length: total)
        guard command == .proxy else { return .complete(header) }
        let block = v2PreambleLength
        switch family >> 4 {
        case 1:
            header.source = SocketAddress(storage: .v4(address: word32(bytes, block), port: word16(bytes, block + 8)))
            header.destination = SocketAddress(storage: .v4(address: word32(bytes, block + 4), port: word16(bytes, block + 10)))
        case 2:
            header.source = .ipv6(value: word128(bytes, block), port: word16(bytes, block + 32))
            header.destination = .ipv6(value: word128(bytes, block + 16), port: word16(bytes, block + 34))
        default:
            // AF_UNSPEC or AF_UNIX: no address to use in place of the socket's.
            break
        }
        return .complete(header)
    }

    /// Bytes of the v2 address block for a family nibble: 12 (inet), 36 (inet6), 216 (unix), 0.
    static func addressBlockLength(family: UInt8) -> Int {
        switch family {
        case 1: 12
        case 2: 36
        case 3: 216
        default: 0
        }
    }

    static func word16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    static func word32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(word16(bytes, offset)) << 16 | UInt32(word16(bytes, offset + 2))
    }

    static func word128(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt128 {
        var value: UInt128 = 0
        for index in offset..<offset + 16 { value = value << 8 | UInt128(bytes[index]) }
        return value
    }
}

extension SocketAddress {
    /// The IPv6 address whose first byte on the wire is `value`'s most significant one.
    static func ipv6(value: UInt128, port: UInt16) -> SocketAddress {
        SocketAddress(storage: .v6(high: UInt64(truncatingIfNeeded: value >> 64).bigEndian,
                                   low: UInt64(truncatingIfNeeded: value).bigEndian, port: port, scopeID: 0))
    }
}
