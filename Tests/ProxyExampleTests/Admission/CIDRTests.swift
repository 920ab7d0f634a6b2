import EventLoop
import Testing
@testable import ProxyExample

@Suite struct CIDRTests {
    func address(_ text: String) throws -> SocketAddress { try SocketAddress(text) }

    @Test func ipv4Networks() throws {
        let net = try CIDR("10.0.0.0/8")
        #expect(net.description == "10.0.0.0/8")
        #expect(net.contains(try address("10.1.2.3:80")))
        #expect(net.contains(try address("10.255.255.255:1")))
        #expect(!net.contains(try address("11.0.0.0:80")))
        #expect(!net.contains(try address("9.255.255.255:80")))
    }

    @Test func bareAddressesAreHosts() throws {
        let v4 = try CIDR("192.168.1.7")
        #expect(v4.description == "192.168.1.7/32")
        #expect(v4.contains(try address("192.168.1.7:9")))
        #expect(!v4.contains(try address("192.168.1.8:9")))
        let v6 = try CIDR("2001:db8::1")
        #expect(v6.description == "2001:db8::1/128")
        #expect(v6.contains(try address("[2001:db8::1]:9")))
        #expect(!v6.contains(try address("[2001:db8::2]:9")))
    }

    @Test func ipv6Networks() throws {
        let net = try CIDR("2001:db8::/32")
        #expect(net.contains(try address("[2001:db8:ffff::1]:443")))
        #expect(!net.contains(try address("[2001:db9::1]:443")))
        #expect(!net.contains(try address("10.0.0.1:443")))
        #expect(try CIDR("fe80::/10").contains(try address("[febf::1]:1")))
    }

    @Test func hostBitsAreMasked() throws {
        #expect(try CIDR("10.1.2.3/8") == CIDR("10.0.0.0/8"))
        #expect(try CIDR("10.1.2.3/8").description == "10.0.0.0/8")
        #expect(try CIDR("2001:db8::1/32").description == "2001:db8::/32")
    }

    @Test func edges() throws {
        let all4 = try CIDR("0.0.0.0/0")
        #expect(all4.contains(try address("1.2.3.4:1")))
        #expect(all4.contains(try address("255.255.255.255:1")))
        #expect(all4.contains(try address("[::ffff:8.8.8.8]:1")))
        #expect(!all4.contains(try address("[::1]:1")))
        let all6 = try CIDR("::/0")
        #expect(all6.contains(try address("[::1]:1")))
        #expect(all6.contains(try address("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1")))
        #expect(!all6.contains(try address("1.2.3.4:1")))
        #expect(try CIDR("255.255.255.255/32").contains(try address("255.255.255.255:1")))
        #expect(try CIDR("::1/128").contains(.loopbackIPv6()))
        #expect(!(try CIDR("::1/128")).contains(try address("[::2]:1")))
        #expect(try CIDR("1.2.3.4/31").contains(try address("1.2.3.5:1")))
        #expect(try CIDR("::/127").contains(try address("[::1]:1")))
    }

    @Test func ipv4MappedAddressesMatchIPv4Networks() throws {
        let net = try CIDR("192.0.2.0/24")
        #expect(net.contains(try address("[::ffff:192.0.2.10]:5000")))
        #expect(!net.contains(try address("[::ffff:192.0.3.10]:5000")))
        // A mapped network is the IPv4 network it covers.
        let mapped = try CIDR("::ffff:10.0.0.0/104")
        #expect(mapped == (try CIDR("10.0.0.0/8")))
        #expect(mapped.contains(try address("10.9.9.9:1")))
        #expect(try CIDR("::ffff:0:0/96").description == "0.0.0.0/0")
    }

    @Test func unixAddressesNeverMatch() throws {
        let unix = try SocketAddress.unix(path: "/tmp/x.sock")
        #expect(!(try CIDR("0.0.0.0/0")).contains(unix))
        #expect(!(try CIDR("::/0")).contains(unix))
    }

    @Test(arguments: [
        "", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
        "10.0.0.0/8/8", "10.0.0", "10.0.0.0.0", "256.0.0.0", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1..2.3",
        "a.b.c.d", "10.0.0.0/8x", "fe80::1%eth0", "2001:db8:::1", "::g", "1:2:3:4:5:6:7:8:9",
        "10.0.0.0\u{0}/8", "::1\u{0}junk", "example.com/8", "1.2.3.4/1000",
        String(repeating: "1", count: 100_000),
    ])
    func malformedInputsAreRejected(text: String) {
        #expect(throws: ConfigError.self) { try CIDR(text) }
    }

    @Test func errorsQuoteTheText() {
        do {
            _ = try CIDR("10.0.0.0/40")
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("\"10.0.0.0/40\""))
            #expect(error.message.contains("0 to 32"))
        }
        do {
            _ = try CIDR(String(repeating: "9", count: 5000))
            Issue.record("no error")
        } catch {
            #expect(error.message.count < 200)
        }
    }

    @Test func hostileInputNeverTraps() {
        var state: UInt64 = 12345
        let alphabet = Array("0123456789abcdefABCDEF:./%-x \u{0}".utf8) + [0xFF]
        for _ in 0..<5000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let count = Int(state >> 58)
            var bytes: [UInt8] = []
            for _ in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            if let net = try? CIDR(String(decoding: bytes, as: UTF8.self)) {
                // Whatever parsed prints in a form that parses back to the same network.
                #expect((try? CIDR(net.description)) == net)
            }
        }
    }

    @Test func socketAddressBytes() throws {
        #expect(try address("1.2.3.4:5").addressBytes == [1, 2, 3, 4])
        #expect(try address("1.2.3.4:5").ipv4Value == 0x0102_0304)
        #expect(try address("[2001:db8::ff]:5").addressBytes == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [0xff])
        #expect(try address("[::1]:5").ipv6Value == 1)
        #expect(try address("[::1]:5").ipv4Value == nil)
        #expect(try SocketAddress.unix(path: "/x").addressBytes == nil)
    }
}
