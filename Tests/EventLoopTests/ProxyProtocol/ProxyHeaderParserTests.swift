import EventLoop
import Testing

/// ``ProxyHeaderParser`` and ``ProxyHeaderEncoder`` on bytes: every field of both versions,
/// every refusal, incremental input.
@Suite struct ProxyHeaderParserTests {
    static func parse(_ bytes: [UInt8], maximumLength: Int = ProxyHeaderParser.v2MaximumLength) -> ProxyHeaderParseResult {
        bytes.withUnsafeBytes { ProxyHeaderParser.parse($0, maximumLength: maximumLength) }
    }

    static func parse(_ text: String) -> ProxyHeaderParseResult { parse(Array(text.utf8)) }

    static func header(_ result: ProxyHeaderParseResult) -> ProxyHeader? {
        if case .complete(let header) = result { return header }
        return nil
    }

    /// A v2 header: signature, the version/command and family bytes, the length, `body`.
    static func v2(_ versionCommand: UInt8 = 0x21, family: UInt8, body: [UInt8], length: Int? = nil) -> [UInt8] {
        let count = length ?? body.count
        return [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, versionCommand, family,
                UInt8(count >> 8), UInt8(count & 0xff)] + body
    }

    @Test func v1TCP4EveryField() throws {
        let line = "PROXY TCP4 192.168.0.1 10.1.2.3 56324 443\r\n"
        let header = try #require(Self.header(Self.parse(line + "GET /")))
        #expect(header.version == .v1)
        #expect(header.command == .proxy)
        #expect(header.source == .ipv4(192, 168, 0, 1, port: 56324))
        #expect(header.destination == .ipv4(10, 1, 2, 3, port: 443))
        #expect(header.length == line.utf8.count)
    }

    @Test func v1TCP6EveryField() throws {
        let line = "PROXY TCP6 2001:db8::1 ::ffff:10.0.0.2 65535 0\r\n"
        let header = try #require(Self.header(Self.parse(line)))
        #expect(header.source == (try SocketAddress("[2001:db8::1]:65535")))
        #expect(header.destination == (try SocketAddress("[::ffff:10.0.0.2]:0")))
        #expect(header.length == line.utf8.count)
        let full = try #require(Self.header(Self.parse("PROXY TCP6 1:2:3:4:5:6:7:8 0:0:0:0:0:0:0:1 1 2\r\n")))
        #expect(full.source == (try SocketAddress("[1:2:3:4:5:6:7:8]:1")))
        #expect(full.destination == .loopbackIPv6(port: 2))
    }

    @Test func v1Unknown() throws {
        for line in ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"] {
            let header = try #require(Self.header(Self.parse(line)))
            #expect(header.source == nil && header.destination == nil)
            #expect(header.length == line.utf8.count)
        }
    }

    @Test func v1Refusals() {
        let cases: [(String, ProxyHeaderError)] = [
            ("GET / HTTP/1.1\r\n", .missingSignature),
            ("PROXI TCP4", .missingSignature),
            ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", .unknownProtocol),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", .malformedLine),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", .malformedLine),
            ("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", .malformedLine),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", .malformedLine),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", .malformedLine),
            ("PROXY \r\n", .malformedLine),
            ("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", .badAddress),
            ("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", .badAddress),
            ("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", .badAddress),
            ("PROXY TCP4 1.2.3.4 5.6.7.8.9 1 2\r\n", .badAddress),
            ("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", .badAddress),
            ("PROXY TCP6 1::2::3 ::1 1 2\r\n", .badAddress),
            ("PROXY TCP6 12345:: ::1 1 2\r\n", .badAddress),
            ("PROXY TCP6 ::1: ::1 1 2\r\n", .badAddress),
            ("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", .addressFamilyMismatch),
            ("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", .addressFamilyMismatch),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", .badPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", .badPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", .badPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 x\r\n", .badPort),
        ]
        for (text, error) in cases {
            #expect(Self.parse(text) == .invalid(error), "\(text.debugDescription)")
        }
    }

    @Test func v1LongerThan107BytesIsRefused() {
        // 106 bytes before the CR: the CRLF would end at byte 108.
        let long = "PROXY UNKNOWN " + String(repeating: "a", count: 106 - 14)
        #expect(Self.parse(long + "\r\n") == .invalid(.lineTooLong))
        #expect(Self.parse(String(repeating: "PROXY ", count: 30)) == .invalid(.lineTooLong))
        // Exactly 107 bytes is fine.
        let longest = "PROXY UNKNOWN " + String(repeating: "a", count: 105 - 14)
        #expect(Self.header(Self.parse(longest + "\r\n"))?.length == 107)
    }

    @Test func v2InetEveryField() throws {
        let body: [UInt8] = [192, 168, 0, 1, 10, 1, 2, 3, 0xDC, 0x04, 0x01, 0xBB]
        let bytes = Self.v2(family: 0x11, body: body)
        let header = try #require(Self.header(Self.parse(bytes + [0x47, 0x45])))
        #expect(header.version == .v2)
        #expect(header.command == .proxy)
        #expect(header.source == .ipv4(192, 168, 0, 1, port: 56324))
        #expect(header.destination == .ipv4(10, 1, 2, 3, port: 443))
        #expect(header.length == 28)
    }

    @Test func v2Inet6WithTLVsSkipped() throws {
        var body = [UInt8](repeating: 0, count: 36)
        body[0] = 0x20; body[1] = 0x01; body[15] = 0x01     // 2001::1
        body[31] = 0x01                                        // ::1
        body[32] = 0x30; body[33] = 0x39                       // 12345
        body[34] = 0x00; body[35] = 0x50                       // 80
        let tlvs: [UInt8] = [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]   // ALPN "h2", an empty NOOP
        let bytes = Self.v2(family: 0x21, body: body + tlvs)
        let header = try #require(Self.header(Self.parse(bytes)))
        #expect(header.source == (try SocketAddress("[2001::1]:12345")))
        #expect(header.destination == .loopbackIPv6(port: 80))
        #expect(header.length == 16 + 36 + tlvs.count)
    }

    @Test func v2LocalUnspecAndUnixCarryNoAddress() throws {
        let local = try #require(Self.header(Self.parse(Self.v2(0x20, family: 0x00, body: []))))
        #expect(local.command == .local && local.source == nil && local.length == 16)
        // LOCAL ignores whatever address block it has.
        let localInet = try #require(Self.header(Self.parse(Self.v2(0x20, family: 0x11, body: [1, 2, 3]))))
        #expect(localInet.command == .local && localInet.source == nil && localInet.length == 19)
        let unspec = try #require(Self.header(Self.parse(Self.v2(family: 0x00, body: [9, 9]))))
        #expect(unspec.command == .proxy && unspec.source == nil && unspec.length == 18)
        let unix = try #require(Self.header(Self.parse(Self.v2(family: 0x31, body: [UInt8](repeating: 0x41, count: 216)))))
        #expect(unix.source == nil && unix.destination == nil && unix.length == 232)
    }

    @Test func v2Refusals() {
        var wrongSignature = Self.v2(family: 0x11, body: [UInt8](repeating: 0, count: 12))
        wrongSignature[7] = 0x50
        #expect(Self.parse(wrongSignature) == .invalid(.missingSignature))
        #expect(Self.parse(Self.v2(0x11, family: 0x11, body: [])) == .invalid(.unsupportedVersion(1)))
        #expect(Self.parse(Self.v2(0x31, family: 0x11, body: [])) == .invalid(.unsupportedVersion(3)))
        #expect(Self.parse(Self.v2(0x22, family: 0x11, body: [])) == .invalid(.unsupportedCommand(2)))
        #expect(Self.parse(Self.v2(family: 0x41, body: [])) == .invalid(.unsupportedFamily(0x41)))
        #expect(Self.parse(Self.v2(family: 0x13, body: [])) == .invalid(.unsupportedFamily(0x13)))
        // The family needs 12 (inet) or 36 (inet6) bytes of addresses; the length says fewer.
        #expect(Self.parse(Self.v2(family: 0x11, body: [UInt8](repeating: 0, count: 11))) == .invalid(.addressFamilyMismatch))
        #expect(Self.parse(Self.v2(family: 0x21, body: [UInt8](repeating: 0, count: 12))) == .invalid(.addressFamilyMismatch))
        #expect(Self.parse(Self.v2(family: 0x31, body: [UInt8](repeating: 0, count: 36))) == .invalid(.addressFamilyMismatch))
        // A length beyond the receiver's maximum is refused once the preamble is in.
        let preamble = Self.v2(family: 0x11, body: [], length: 600)
        #expect(Self.parse(preamble, maximumLength: 536) == .invalid(.tooLong(length: 616, maximum: 536)))
        #expect(Self.parse(preamble) == .incomplete)
        #expect(Self.parse(Self.v2(family: 0x11, body: [], length: 0xFFFF)) == .incomplete)
    }

    /// Every prefix of a valid header is `.incomplete`; the whole is `.complete`.
    @Test func oneByteAtATime() throws {
        let v1 = Array("PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n".utf8)
        let v2 = Self.v2(family: 0x11, body: [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2])
        for bytes in [v1, v2] {
            for count in 0..<bytes.count {
                #expect(Self.parse(Array(bytes[..<count])) == .incomplete, "prefix of \(count)")
            }
            #expect(Self.header(Self.parse(bytes))?.length == bytes.count)
        }
    }

    @Test func encoderWritesExactBytes() {
        let v4 = ProxyHeader(version: .v1, source: .ipv4(192, 168, 0, 1, port: 56324), destination: .ipv4(10, 0, 0, 9, port: 443))
        #expect(String(decoding: ProxyHeaderEncoder.encode(v4), as: UTF8.self) == "PROXY TCP4 192.168.0.1 10.0.0.9 56324 443\r\n")
        var v2 = v4
        v2.version = .v2
        #expect(ProxyHeaderEncoder.encode(v2) == Self.v2(family: 0x11, body: [192, 168, 0, 1, 10, 0, 0, 9, 0xDC, 0x04, 0x01, 0xBB]))
        let unknown = ProxyHeader(version: .v1, source: nil, destination: nil)
        #expect(String(decoding: ProxyHeaderEncoder.encode(unknown), as: UTF8.self) == "PROXY UNKNOWN\r\n")
        #expect(ProxyHeaderEncoder.encode(ProxyHeader(version: .v2, source: nil, destination: nil)) == Self.v2(family: 0x00, body: []))
        #expect(ProxyHeaderEncoder.encode(ProxyHeader(version: .v2, command: .local, source: nil, destination: nil))
                == Self.v2(0x20, family: 0x00, body: []))
    }

    @Test func encoderRoundTripsThroughTheParser() throws {
        let addresses: [(SocketAddress, SocketAddress)] = [
            (.ipv4(1, 2, 3, 4, port: 0), .ipv4(255, 255, 255, 255, port: 65535)),
            (try SocketAddress("[2001:db8:0:1::ff]:8080"), .loopbackIPv6(port: 443)),
            (try SocketAddress("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), try SocketAddress("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535")),
        ]
        for (source, destination) in addresses {
            for version in [ProxyHeader.Version.v1, .v2] {
                let bytes = ProxyHeaderEncoder.encode(ProxyHeader(version: version, source: source, destination: destination))
                #expect(bytes.count <= ProxyHeaderEncoder.maximumLength)
                let header = try #require(Self.header(Self.parse(bytes)))
                #expect(header.version == version && header.source == source && header.destination == destination)
                #expect(header.length == bytes.count)
            }
        }
        // Mixed families go as IPv6, the IPv4 address mapped.
        let mixed = ProxyHeaderEncoder.encode(ProxyHeader(version: .v1, source: .ipv4(10, 0, 0, 1, port: 5), destination: .loopbackIPv6(port: 6)))
        #expect(String(decoding: mixed, as: UTF8.self) == "PROXY TCP6 0:0:0:0:0:ffff:a00:1 0:0:0:0:0:0:0:1 5 6\r\n")
    }
}
