import EventLoop
import Glibc

/// A deterministic byte stream: byte `i` of stream `seed`. Period 251 (prime), so a shifted,
/// dropped or duplicated chunk never lines up again.
public enum Pattern {
    public static let block: [UInt8] = (0..<(251 * 256)).map { UInt8(truncatingIfNeeded: $0 % 251) }

    /// `count` bytes of the stream starting at `offset`.
    public static func bytes(at offset: Int, count: Int, seed: Int = 0) -> ByteBuffer {
        var buffer = ByteBuffer(capacity: count)
        var written = 0
        while written < count {
            let start = (offset + written + seed) % 251
            let length = min(count - written, block.count - start)
            block.withUnsafeBytes { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[start..<(start + length)])) }
            written += length
        }
        return buffer
    }

    /// True when `buffer`'s readable bytes are the stream's bytes from `offset`.
    public static func matches(_ buffer: ByteBuffer, at offset: Int, seed: Int = 0) -> Bool {
        buffer.withUnsafeReadableBytes { received in
            var checked = 0
            while checked < received.count {
                let start = (offset + checked + seed) % 251
                let length = min(received.count - checked, block.count - start)
                let same = block.withUnsafeBytes { expected in
                    memcmp(received.baseAddress! + checked, expected.baseAddress! + start, length) == 0
                }
                if !same { return false }
                checked += length
            }
            return true
        }
    }
}
