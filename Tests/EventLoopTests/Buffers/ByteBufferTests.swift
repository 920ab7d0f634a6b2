import EventLoop
import Testing

/// ByteBuffer edge cases.
@Suite struct ByteBufferTests {
    @Test func emptyBufferAllocatesNothingAndReadsNothing() {
        var buffer = ByteBuffer()
        #expect(buffer.capacity == 0 && buffer.readableBytes == 0 && buffer.isEmpty)
        #expect(buffer.readBytes(length: 1) == nil)
        #expect(buffer.readBytes(length: 0) == [])
        #expect(buffer.readInteger(as: UInt8.self) == nil)
        #expect(buffer.readSlice(length: 1) == nil)
        #expect(buffer.slice().readableBytes == 0)
    }

    @Test func exactCapacityThenGrowth() {
        var buffer = ByteBuffer(capacity: 8)
        buffer.writeBytes([1, 2, 3, 4, 5, 6, 7, 8])
        #expect(buffer.writableBytes == 0)
        #expect(buffer.capacity == 8)
        buffer.writeBytes([9])
        #expect(buffer.capacity >= 16)
        #expect(buffer.readableBytesArray == Array(1...9))
    }

    @Test func growthAcrossSizeClassesKeepsContent() {
        var buffer = ByteBuffer()
        var expected: [UInt8] = []
        for size in [1, 2047, 2, 16 * 1024, 60_000, 70_000] {
            let chunk = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ size) }
            buffer.writeBytes(chunk)
            expected += chunk
        }
        #expect(buffer.readableBytesArray == expected)
    }

    @Test func integersInBothByteOrders() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(0x0102))
        buffer.writeInteger(UInt32(0x0304_0506), endianness: .little)
        buffer.writeInteger(Int64(-2))
        buffer.writeInteger(UInt8(0xff))
        #expect(buffer.readableBytesArray.prefix(6) == [0x01, 0x02, 0x06, 0x05, 0x04, 0x03])
        #expect(buffer.getInteger(at: 0, as: UInt16.self) == 0x0102)
        #expect(buffer.readInteger(as: UInt16.self) == 0x0102)
        #expect(buffer.readInteger(endianness: .little, as: UInt32.self) == 0x0304_0506)
        #expect(buffer.readInteger(as: Int64.self) == -2)
        #expect(buffer.readInteger(as: UInt8.self) == 0xff)
        #expect(buffer.readInteger(as: UInt8.self) == nil)
        var prefixed = ByteBuffer()
        prefixed.writeInteger(UInt32(0))
        prefixed.writeString("hello")
        let inside = prefixed.setInteger(UInt32(5), at: 0)
        let outside = prefixed.setInteger(UInt32(5), at: 7)
        #expect(inside && !outside)
        #expect(prefixed.readInteger(as: UInt32.self) == 5)
        #expect(prefixed.readString(length: 5) == "hello")
    }

    @Test func stringsAndSearch() {
        var buffer = ByteBuffer(string: "héllo\nworld")
        #expect(buffer.firstIndex(of: UInt8(ascii: "\n")) == 6)
        #expect(buffer.readString(length: 7) == "héllo\n")
        #expect(buffer.firstIndex(of: UInt8(ascii: "\n")) == nil)
        #expect(buffer.readString(length: 99) == nil)
        #expect(buffer.readString(length: 5) == "world")
    }

    @Test func slicesShareMemoryAndOutliveTheirParent() {
        var slice: ByteBuffer
        do {
            var parent = ByteBuffer(string: "0123456789")
            parent.moveReaderIndex(forwardBy: 2)
            slice = parent.readSlice(length: 5)!
            #expect(parent.readString(length: 3) == "789")
            parent.clear()
            parent.writeString("overwritten")  // copy-on-write: the slice keeps its bytes
        }
        #expect(slice.readableBytes == 5)
        #expect(slice.readString(length: 5) == "23456")
        var another = ByteBuffer(string: "abcdef").getSlice(at: 1, length: 3)!
        another.writeString("XY")  // writing to a slice copies first
        #expect(another.readString(length: 5) == "bcdXY")
    }

    @Test func copiesAreIndependent() {
        var first = ByteBuffer(string: "abc")
        var second = first
        second.writeString("d")
        #expect(first.readString(length: 3) == "abc")
        #expect(second.readString(length: 4) == "abcd")
        first.clear()
        #expect(first.readableBytes == 0 && second.readableBytes == 0)
    }

    @Test func unsafeWritableAccessMovesTheWriterIndex() {
        var buffer = ByteBuffer(capacity: 16)
        let written = buffer.withUnsafeMutableWritableBytes { space in
            space[0] = 42
            space[1] = 43
            return 2
        }
        #expect(written == 2)
        #expect(buffer.readableBytesArray == [42, 43])
    }
}
