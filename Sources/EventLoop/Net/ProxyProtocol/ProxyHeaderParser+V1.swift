extension ProxyHeaderParser {
    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")

    /// v1: `PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT\r\n` or `PROXY UNKNOWN[ anything]\r\n`,
    /// single spaces, at most 107 bytes.
    static func parseV1(_ bytes: UnsafeRawBufferPointer) -> ProxyHeaderParseResult {
        guard startsLike(bytes, v1Signature) else { return .invalid(.missingSignature) }
        guard bytes.count > v1Signature.count else { return .incomplete }
        // The `\r` must sit at index 105 at the latest, so that `\r\n` ends within 107 bytes.
        let lastCR = v1MaximumLength - 2
        var end = -1
        for index in v1Signature.count..<min(bytes.count, lastCR + 1) where bytes[index] == UInt8(ascii: "\r") {
            end = index
            break
        }
        guard end >= 0 else { return bytes.count > lastCR ? .invalid(.lineTooLong) : .incomplete }
        guard end + 1 < bytes.count else { return .incomplete }
        guard bytes[end + 1] == UInt8(ascii: "\n") else { return .invalid(.malformedLine) }
        let length = end + 2
        var fields = FieldCursor(bytes: bytes, position: v1Signature.count, end: end)
        guard let proto = fields.next() else { return .invalid(.malformedLine) }
        if matches(bytes, proto, "UNKNOWN") {
            // The rest of an UNKNOWN line is ignored, as the specification asks.
            return .complete(ProxyHeader(version: .v1, source: nil, destination: nil, length: length))
        }
        let isV4: Bool
        if matches(bytes, proto, "TCP4") { isV4 = true } else if matches(bytes, proto, "TCP6") { isV4 = false } else {
            return .invalid(.unknownProtocol)
        }
        guard let sourceField = fields.next(), let destinationField = fields.next(),
              let sourcePortField = fields.next(), let destinationPortField = fields.next(), fields.atEnd else {
            return .invalid(.malformedLine)
        }
        guard let sourcePort = port(bytes, sourcePortField), let destinationPort = port(bytes, destinationPortField) else {
            return .invalid(.badPort)
        }
        let source: SocketAddress
        let destination: SocketAddress
        if isV4 {
            guard let from = ipv4(bytes, sourceField), let to = ipv4(bytes, destinationField) else {
                return .invalid(containsColon(bytes, sourceField) || containsColon(bytes, destinationField) ? .addressFamilyMismatch : .badAddress)
            }
            source = SocketAddress(storage: .v4(address: from, port: sourcePort))
            destination = SocketAddress(storage: .v4(address: to, port: destinationPort))
        } else {
            guard let from = ipv6(bytes, sourceField), let to = ipv6(bytes, destinationField) else {
                let looksV4 = !containsColon(bytes, sourceField) || !containsColon(bytes, destinationField)
                return .invalid(looksV4 ? .addressFamilyMismatch : .badAddress)
            }
            source = .ipv6(value: from, port: sourcePort)
            destination = .ipv6(value: to, port: destinationPort)
        }
        return .complete(ProxyHeader(version: .v1, source: source, destination: destination, length: length))
    }

    /// The fields of a v1 line, separated by exactly one space each.
    private struct FieldCursor {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let end: Int
        var failed = false

        var atEnd: Bool { !failed && position > end }

        /// The next field's range, or nil at the end of the line or at an empty field.
        mutating func next() -> Range<Int>? {
            guard !failed, position <= end else { return nil }
            var stop = position
            while stop < end && bytes[stop] != ProxyHeaderParser.space { stop += 1 }
            guard stop > position else {
                failed = true
                return nil
            }
            defer { position = stop + 1 }
            return position..<stop
        }
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, _ field: Range<Int>, _ word: StaticString) -> Bool {
        guard field.count == word.utf8CodeUnitCount else { return false }
        let text = word.utf8Start
        for (offset, index) in field.enumerated() where bytes[index] != text[offset] { return false }
        return true
    }

    private static func containsColon(_ bytes: UnsafeRawBufferPointer, _ field: Range<Int>) -> Bool {
        field.contains { bytes[$0] == colon }
    }

    /// A decimal number of 1 to `maxDigits` digits, no leading zero (except `0` itself).
    private static func decimal(_ bytes: UnsafeRawBufferPointer, _ field: Range<Int>, maxDigits: Int) -> Int? {
        guard (1...maxDigits).contains(field.count) else { return nil }
        if field.count > 1 && bytes[field.lowerBound] == UInt8(ascii: "0") { return nil }
        var value = 0
        for index in field {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    private static func port(_ bytes: UnsafeRawBufferPointer, _ field: Range<Int>) -> UInt16? {
        guard let value = decimal(bytes, field, maxDigits: 5), value <= 65535 else { return nil }
        return UInt16(value)
    }

    /// Dotted decimal `a.b.c.d`, each part 0...255 without leading zeroes; host byte order.
    static func ipv4(_ bytes: UnsafeRawBufferPointer, _ field: Range<Int>) -> UInt32? {
        var value: UInt32 = 0
        var start = field.lowerBound
        for part in 0..<4 {
            var stop = start
            while stop < field.upperBound && bytes[stop] != dot { stop += 1 }
            guard let octet = decimal(bytes, start..<stop, maxDigits: 3), octet <= 255 else { return nil }
            value = value << 8 | UInt32(octet)
            if part < 3 {
                guard stop < field.upperBound else { return nil }
                start = stop + 1
            } else {
                guard stop == field.upperBound else { return nil }
            }
        }
        return value
    }

    /// IPv6 text (RFC 4291 section 2.2): eight groups of 1 to 4 hex digits, at most one `::`,
    /// optionally ending in a dotted IPv4 address; no zone. The 128 bits, first byte most significant.
    static func ipv6(_ bytes: UnsafeRawBufferPointer, _ field: Range<Int>) -> UInt128? {
        var head: UInt128 = 0
        var tail: UInt128 = 0
        var headCount = 0
        var tailCount = 0
        var compressed = false
        var index = field.lowerBound
        let end = field.upperBound
        guard end - index >= 2 else { return nil }
        if bytes[index] == colon {
            guard bytes[index + 1] == colon else { return nil }
            compressed = true
            index += 2
        }
        while index < end {
            var stop = index
            var group = 0
            while stop < end && stop - index < 5, let digit = hexDigit(bytes[stop]) {
                group = group << 4 | digit
                stop += 1
            }
            if stop < end && bytes[stop] == dot {
                // A trailing IPv4 address: two groups.
                guard let v4 = ipv4(bytes, index..<end), headCount + tailCount <= 6 else { return nil }
                if compressed { tail = tail << 32 | UInt128(v4); tailCount += 2 } else { head = head << 32 | UInt128(v4); headCount += 2 }
                index = end
                break
            }
            guard (1...4).contains(stop - index), headCount + tailCount < 8 else { return nil }
            if compressed { tail = tail << 16 | UInt128(group); tailCount += 1 } else { head = head << 16 | UInt128(group); headCount += 1 }
            index = stop
            guard index < end else { break }
            guard bytes[index] == colon else { return nil }
            index += 1
            if index < end && bytes[index] == colon {
                guard !compressed else { return nil }
                compressed = true
                index += 1
            } else if index == end {
                return nil
            }
        }
        let count = headCount + tailCount
        guard compressed ? count <= 7 : count == 8 else { return nil }
        let shifted = headCount == 0 ? 0 : head << (16 * (8 - headCount))
        return shifted | tail
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
