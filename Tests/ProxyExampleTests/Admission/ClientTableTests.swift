import EventLoop
import Testing
@testable import ProxyExample

/// The per-IP table on its own: how it keys IPv6 clients, and which entry makes room when it
/// is full (idle entries, least recently used first; never an address with an open connection).
@Suite struct ClientTableTests {
    func key(_ text: String, prefix: Int = 64) throws -> ClientAddress {
        try #require(ClientAddress(try SocketAddress(text))).key(ipv6PrefixLength: prefix)
    }

    @Test func ipv6ClientsAreKeyedByTheirPrefix() throws {
        #expect(try key("[fd00:9::1]:1") == key("[fd00:9::2]:2"))
        #expect(try key("[fd00:9::1]:1") == key("[fd00:9:0:0:ffff:ffff:ffff:ffff]:1"))
        #expect(try key("[fd00:9::1]:1") != key("[fd00:9:0:1::1]:1"))
        // A /128 keeps every address apart; a /48 puts the /64s of a site together.
        #expect(try key("[fd00:9::1]:1", prefix: 128) != key("[fd00:9::2]:1", prefix: 128))
        #expect(try key("[fd00:9:0:1::1]:1", prefix: 48) == key("[fd00:9:0:2::1]:1", prefix: 48))
        // IPv4 (and IPv4-mapped) clients are always a single address.
        #expect(try key("10.0.0.1:1") != key("10.0.0.2:1"))
        #expect(try key("[::ffff:10.0.0.1]:1") == key("10.0.0.1:1"))
    }

    /// A full table makes room by forgetting the idle address used longest ago.
    @Test func fullTableEvictsTheLeastRecentlyUsedIdleEntry() throws {
        // A rate keeps an idle address's entry (its bucket is refilling) until it is evicted.
        var table = ClientTable(maxOpen: nil, rate: 1, capacity: 3)
        let a = ClientAddress.v4(1), b = ClientAddress.v4(2), c = ClientAddress.v4(3)
        let d = ClientAddress.v4(4), e = ClientAddress.v4(5)
        for client in [a, b, c] {
            #expect(table.admit(client, now: 0) == .admitted)
            table.release(client, now: 0)
        }
        // `a` comes back (refused by its rate, which counts as use): `b` is now the oldest.
        #expect(table.admit(a, now: 1) == .rateExceeded)
        #expect(table.admit(d, now: 2) == .admitted)
        #expect(table.contains(a) && !table.contains(b) && table.contains(c) && table.contains(d))
        #expect(table.count == 3)
        // `d` is open, so `c` goes next, then `a`.
        #expect(table.admit(e, now: 3) == .admitted)
        #expect(!table.contains(c) && table.contains(a))
        #expect(table.admit(b, now: 4) == .admitted)
        #expect(!table.contains(a))
        #expect(table.count == 3)
    }

    /// An address with an open connection is never evicted: a table full of them refuses a
    /// new address, and makes room again once one of them is idle.
    @Test func liveEntriesAreNeverEvicted() throws {
        var table = ClientTable(maxOpen: 1, rate: nil, capacity: 2)
        let a = ClientAddress.v4(1), b = ClientAddress.v4(2), c = ClientAddress.v4(3)
        #expect(table.admit(a, now: 0) == .admitted)
        #expect(table.admit(b, now: 0) == .admitted)
        #expect(table.admit(c, now: 0) == .full)
        #expect(table.admit(a, now: 0) == .tooManyConnections)
        #expect(table.contains(a) && table.contains(b) && !table.contains(c))
        table.release(b, now: 1)
        #expect(table.admit(c, now: 1) == .admitted)
        #expect(table.contains(a) && table.contains(c))
    }

    /// An idle entry whose bucket has refilled carries nothing and is dropped on release.
    @Test func staleEntriesAreDroppedAtOnce() throws {
        var table = ClientTable(maxOpen: 3, rate: nil, capacity: 10)
        let a = ClientAddress.v4(1)
        #expect(table.admit(a, now: 0) == .admitted)
        #expect(table.admit(a, now: 0) == .admitted)
        table.release(a, now: 0)
        #expect(table.count == 1)
        table.release(a, now: 0)
        #expect(table.count == 0)
    }

    /// Many addresses through a small table: it never grows past its capacity, and an address
    /// with open connections keeps its count all along.
    @Test func churnStaysWithinCapacity() throws {
        var table = ClientTable(maxOpen: 2, rate: 2, capacity: 100)
        let held = ClientAddress.v4(0xffff_ffff)
        #expect(table.admit(held, now: 0) == .admitted)
        #expect(table.admit(held, now: 0) == .admitted)
        for index in 0..<10_000 {
            let client = ClientAddress.v4(UInt32(index))
            #expect(table.admit(client, now: UInt64(index)) == .admitted)
            table.release(client, now: UInt64(index))
            #expect(table.count <= 100)
        }
        #expect(table.admit(held, now: 20_000) == .tooManyConnections)
    }
}
