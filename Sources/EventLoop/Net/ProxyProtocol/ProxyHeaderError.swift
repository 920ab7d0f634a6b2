/// Why a connection's PROXY protocol header was refused. Each case reads as a short reason in
/// a log line (``description``); none allocates.
public enum ProxyHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first bytes are neither `PROXY ` (v1) nor the 12-byte v2 signature.
    case missingSignature
    /// A v1 line without its `\r\n` within 107 bytes.
    case lineTooLong
    /// A v1 line that does not have the specified fields and single spaces.
    case malformedLine
    /// A v1 protocol other than `TCP4`, `TCP6` or `UNKNOWN`.
    case unknownProtocol
    /// A v1 address that is not a valid IPv4 (TCP4) or IPv6 (TCP6) address.
    case badAddress
    /// A v1 port that is not a decimal number from 0 to 65535 without leading zeroes.
    case badPort
    /// A v2 version nibble other than 2.
    case unsupportedVersion(UInt8)
    /// A v2 command other than LOCAL (0) or PROXY (1).
    case unsupportedCommand(UInt8)
    /// A v2 address family or transport byte outside the specification.
    case unsupportedFamily(UInt8)
    /// A v2 address block shorter than its address family needs.
    case addressFamilyMismatch
    /// A header longer than the receiver accepts (v2: 16 + length bytes).
    case tooLong(length: Int, maximum: Int)
    /// No complete header arrived within the allowed time.
    case timedOut
    /// The connection ended (end of stream) after this many bytes, before a complete header.
    case endOfStream(received: Int)
    /// Reading the connection failed.
    case readFailed(NetError)

    /// The reason as a log line shows it: `missing PROXY protocol signature`, `timed out`, ….
    public var description: String {
        switch self {
        case .missingSignature: "missing PROXY protocol signature"
        case .lineTooLong: "v1 line longer than 107 bytes"
        case .malformedLine: "malformed v1 line"
        case .unknownProtocol: "unknown v1 protocol"
        case .badAddress: "bad v1 address"
        case .badPort: "bad v1 port"
        case .unsupportedVersion(let version): "unsupported v2 version \(version)"
        case .unsupportedCommand(let command): "unsupported v2 command \(command)"
        case .unsupportedFamily(let family): "unsupported v2 address family/transport 0x\(String(family, radix: 16))"
        case .addressFamilyMismatch: "address block does not match its address family"
        case .tooLong(let length, let maximum): "header of \(length) bytes exceeds the maximum of \(maximum)"
        case .timedOut: "no complete PROXY header in time"
        case .endOfStream(let received): "connection ended after \(received) bytes, before a complete PROXY header"
        case .readFailed(let error): "read failed: \(error)"
        }
    }
}
