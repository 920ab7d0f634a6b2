/// A pseudo-random byte stream that can be produced from any offset: byte `i` is byte `i % 8`
/// (little-endian) of a SplitMix64 hash of the seed and `i / 8`. The load client fills its
/// messages from one stream per connection and checks every echoed byte against the same
/// stream, so it keeps no copy of what it sent.
struct PatternStream: Sendable {
    /// Tells this stream apart from the others (one per connection).
    let seed: UInt64

    /// The stream for connection `index`.
    init(connection index: Int) {
        seed = PatternStream.mix(UInt64(truncatingIfNeeded: index) &+ 0x5EED)
    }

    /// Writes the stream's bytes at `offset ..< offset + buffer.count` into `buffer`.
    func fill(_ buffer: UnsafeMutableRawBufferPointer, from offset: UInt64) {
        var index = 0
        var position = offset
        while index < buffer.count && position & 7 != 0 {
            buffer[index] = byte(at: position)
            index += 1
            position += 1
        }
        while buffer.count - index >= 8 {
            buffer.storeBytes(of: word(position >> 3).littleEndian, toByteOffset: index, as: UInt64.self)
            index += 8
            position += 8
        }
        while index < buffer.count {
            buffer[index] = byte(at: position)
            index += 1
            position += 1
        }
    }

    /// True when `bytes` are the stream's bytes at `offset ..< offset + bytes.count`.
    func matches(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
        var index = 0
        var position = offset
        while index < bytes.count && position & 7 != 0 {
            if bytes[index] != byte(at: position) { return false }
            index += 1
            position += 1
        }
        while bytes.count - index >= 8 {
            let got = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            if got != word(position >> 3) { return false }
            index += 8
            position += 8
        }
        while index < bytes.count {
            if bytes[index] != byte(at: position) { return false }
            index += 1
            position += 1
        }
        return true
    }

    /// The stream's byte at `position`.
    @inline(__always)
    func byte(at position: UInt64) -> UInt8 {
        UInt8(truncatingIfNeeded: word(position >> 3) >> ((position & 7) << 3))
    }

    @inline(__always)
    private func word(_ index: UInt64) -> UInt64 {
        PatternStream.mix(seed &+ index &* 0x9E37_79B9_7F4A_7C15)
    }

    /// SplitMix64's finaliser.
    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
