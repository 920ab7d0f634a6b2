@testable import EchoExample
import Testing

/// The load client's checkable byte stream.
@Suite struct PatternStreamTests {
    func bytes(_ stream: PatternStream, from offset: UInt64, count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { stream.fill($0, from: offset) }
        return result
    }

    @Test func anyOffsetGivesTheSameBytes() {
        let stream = PatternStream(connection: 3)
        let whole = bytes(stream, from: 0, count: 200)
        for offset in [0, 1, 7, 8, 9, 63, 100] {
            for count in [0, 1, 5, 8, 17, 100 - offset / 2] {
                #expect(bytes(stream, from: UInt64(offset), count: count) == Array(whole[offset..<(offset + count)]))
            }
        }
    }

    @Test func matchesItsOwnBytesAndNoOthers() {
        let stream = PatternStream(connection: 0)
        var data = bytes(stream, from: 5, count: 100)
        #expect(data.withUnsafeBytes { stream.matches($0, at: 5) })
        #expect(!data.withUnsafeBytes { stream.matches($0, at: 6) })
        data[50] ^= 1
        #expect(!data.withUnsafeBytes { stream.matches($0, at: 5) })
        #expect(bytes(PatternStream(connection: 1), from: 0, count: 32) != bytes(stream, from: 0, count: 32))
    }
}
