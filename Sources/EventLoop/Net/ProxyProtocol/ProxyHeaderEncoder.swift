/// Writes PROXY protocol headers (version 1 or 2) for a connection relayed to a server that
/// expects one: the counterpart of ``ProxyHeaderParser``.
///
/// ``encode(_:into:)`` is allocation-free and O(1); any thread. Addresses: when both are IPv4
/// or both IPv6, they go as such (v1 `TCP4`/`TCP6`, v2 `AF_INET`/`AF_INET6` over a stream);
/// one of each goes as IPv6 (the IPv4 one mapped to `::ffff:a.b.c.d`); a missing or Unix one
/// makes the header carry none (v1 `UNKNOWN`, v2 `AF_UNSPEC`). A ``ProxyHeader/Command/local``
/// header is v2 `LOCAL` (v1 has no such command: `UNKNOWN`). v1 IPv6 addresses are written as
/// eight hexadecimal groups without `::` compression (valid text for any IPv6 parser).
public enum ProxyHeaderEncoder {
    /// The most bytes ``encode(_:into:)`` writes: 104 (a v1 `TCP6` line with the longest
    /// addresses and ports); v2 headers are at most 52.
    public static let maximumLength = 104

    /// Writes `header` (its version, command and addresses; its `length` is ignored) at the
    /// start of `buffer` and returns the bytes written.
    ///
    /// - Precondition: `buffer.count >= maximumLength` (traps otherwise).
    public static func encode(_ header: ProxyHeader, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= maximumLength, "ProxyHeaderEncoder.encode needs \(maximumLength) bytes")
        var writer = Writer(buffer: buffer)
        let pair = header.command == .proxy ? addressPair(header.source, header.destination) : nil
        switch header.version {
        case .v1: writeV1(pair, to: &writer)
        case .v2: writeV2(pair, local: header.command == .local, to: &writer)
        }
        return writer.count
    }

    /// ``encode(_:into:)`` into a new array (allocates; for tests and one-off uses).
    public static func encode(_ header: ProxyHeader) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maximumLength) { buffer, count in
            count = encode(header, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The addresses as one family: both IPv4 (`v4`), or both IPv6 (an IPv4 one mapped).
    enum AddressPair {
        case v4(source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16)
        case v6(source: UInt128, destination: UInt128, sourcePort: UInt16, destinationPort: UInt16)
    }

    static func addressPair(_ source: SocketAddress?, _ destination: SocketAddress?) -> AddressPair? {
        guard let source, let destination, let sourcePort = source.port, let destinationPort = destination.port else { return nil }
        if let from = source.ipv4Value, let to = destination.ipv4Value {
            return .v4(source: from, destination: to, sourcePort: sourcePort, destinationPort: destinationPort)
        }
        guard let from = ipv6Bits(source), let to = ipv6Bits(destination) else { return nil }
        return .v6(source: from, destination: to, sourcePort: sourcePort, destinationPort: destinationPort)
    }

    /// An address as IPv6 bits (IPv4 mapped); nil for Unix.
    private static func ipv6Bits(_ address: SocketAddress) -> UInt128? {
        if let value = address.ipv6Value { return value }
        if let value = address.ipv4Value { return 0xffff << 32 | UInt128(value) }
        return nil
    }

    private static func writeV1(_ pair: AddressPair?, to writer: inout Writer) {
        writer.append("PROXY ")
        switch pair {
        case nil:
            writer.append("UNKNOWN")
        case .v4(let source, let destination, let sourcePort, let destinationPort):
            writer.append("TCP4 ")
            writer.appendIPv4(source)
            writer.append(" ")
            writer.appendIPv4(destination)
            writer.appendPorts(sourcePort, destinationPort)
        case .v6(let source, let destination, let sourcePort, let destinationPort):
            writer.append("TCP6 ")
            writer.appendIPv6(source)
            writer.append(" ")
            writer.appendIPv6(destination)
            writer.appendPorts(sourcePort, destinationPort)
        }
        writer.append("\r\n")
    }

    private static func writeV2(_ pair: AddressPair?, local: Bool, to writer: inout Writer) {
        for byte in ProxyHeaderParser.v2Signature { writer.byte(byte) }
        writer.byte(local ? 0x20 : 0x21)
        switch pair {
        case nil:
            writer.byte(0x00)
            writer.word16(0)
        case .v4(let source, let destination, let sourcePort, let destinationPort):
            writer.byte(0x11)
            writer.word16(12)
            writer.word16(UInt16(truncatingIfNeeded: source >> 16))
            writer.word16(UInt16(truncatingIfNeeded: source))
            writer.word16(UInt16(truncatingIfNeeded: destination >> 16))
            writer.word16(UInt16(truncatingIfNeeded: destination))
            writer.word16(sourcePort)
            writer.word16(destinationPort)
        case .v6(let source, let destination, let sourcePort, let destinationPort):
            writer.byte(0x21)
            writer.word16(36)
            for shift in stride(from: 112, through: 0, by: -16) { writer.word16(UInt16(truncatingIfNeeded: source >> shift)) }
            for shift in stride(from: 112, through: 0, by: -16) { writer.word16(UInt16(truncatingIfNeeded: destination >> shift)) }
            writer.word16(sourcePort)
            writer.word16(destinationPort)
        }
    }

    /// Appends to a buffer the caller has sized (``maximumLength``).
    struct Writer {
        let buffer: UnsafeMutableRawBufferPointer
        var count = 0

        mutating func byte(_ value: UInt8) {
            buffer[count] = value
            count += 1
        }

        mutating func word16(_ value: UInt16) {
            byte(UInt8(value >> 8))
            byte(UInt8(value & 0xff))
        }

        mutating func append(_ text: StaticString) {
            for index in 0..<text.utf8CodeUnitCount { byte(text.utf8Start[index]) }
        }

        mutating func decimal(_ value: Int) {
            var divisor = 1
            while divisor * 10 <= value { divisor *= 10 }
            while divisor > 0 {
                byte(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }

        mutating func hex(_ value: UInt16) {
            var shift = 12
            while shift > 0 && value >> UInt16(shift) == 0 { shift -= 4 }
            while shift >= 0 {
                let digit = UInt8(value >> UInt16(shift) & 0xF)
                byte(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
                shift -= 4
            }
        }

        mutating func appendIPv4(_ value: UInt32) {
            for shift in stride(from: 24, through: 0, by: -8) {
                decimal(Int(value >> UInt32(shift) & 0xff))
                if shift > 0 { append(".") }
            }
        }

        mutating func appendIPv6(_ value: UInt128) {
            for shift in stride(from: 112, through: 0, by: -16) {
                hex(UInt16(truncatingIfNeeded: value >> shift))
                if shift > 0 { append(":") }
            }
        }

        mutating func appendPorts(_ source: UInt16, _ destination: UInt16) {
            append(" ")
            decimal(Int(source))
            append(" ")
            decimal(Int(destination))
        }
    }
}
