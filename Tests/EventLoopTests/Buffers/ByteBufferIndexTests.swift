@testable import EventLoop
import EventLoopTesting
import TestSupport
import Testing

/// Reader and writer indices are absolute: growth of the storage and copy-on-write keep them
/// and every written byte where it was; only ``ByteBuffer/discardReadBytes()`` and
/// ``ByteBuffer/clear()`` move them.
@Suite struct ByteBufferIndexTests {
    static func pattern(_ count: Int, seed: Int = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }

    @Test func growthKeepsIndicesAndBytes() {
        var buffer = ByteBuffer(capacity: 128)
        let first = Self.pattern(100)
        buffer.writeBytes(first)
        #expect(buffer.readBytes(length: 30) == Array(first[0..<30]))
        let second = Self.pattern(1256, seed: 7)
        buffer.writeBytes(second)  // past the capacity: the storage grows
        #expect(buffer.capacity >= 1356)
        #expect(buffer.readerIndex == 30)
        #expect(buffer.writerIndex == 1356)
        #expect(buffer.getBytes(at: 30, length: 70) == Array(first[30...]))
        #expect(buffer.getBytes(at: 0, length: 30) == Array(first[0..<30]), "consumed bytes stay addressable")
        #expect(buffer.readableBytesArray == Array(first[30...]) + second)
    }

    @Test func reserveCapacityKeepsIndicesEvenWhenCompactingWouldMakeRoom() {
        var buffer = ByteBuffer(capacity: 64)
        let bytes = Self.pattern(64)
        buffer.writeBytes(bytes)
        buffer.moveReaderIndex(forwardBy: 60)
        buffer.reserveCapacity(minimumWritableBytes: 32)
        #expect(buffer.readerIndex == 60 && buffer.writerIndex == 64)
        #expect(buffer.writableBytes >= 32)
        #expect(buffer.getBytes(at: 60, length: 4) == Array(bytes[60...]))
        #expect(buffer.getBytes(at: 0, length: 60) == Array(bytes[0..<60]))
    }

    @Test func copyOnWriteKeepsIndicesOfTheWriter() {
        var original = ByteBuffer(capacity: 256)
        original.writeBytes(Self.pattern(100))
        original.moveReaderIndex(forwardBy: 30)
        var copy = original
        copy.writeBytes([1, 2, 3])  // shared storage: the copy copies first
        #expect(copy.readerIndex == 30 && copy.writerIndex == 103)
        #expect(copy.getBytes(at: 30, length: 73) == Array(Self.pattern(100)[30...]) + [1, 2, 3])
        #expect(original.readerIndex == 30 && original.writerIndex == 100)
        #expect(original.readableBytesArray == Array(Self.pattern(100)[30...]))
    }

    @Test func aCopyNeverSeesWritesToTheOriginal() {
        var original = ByteBuffer(capacity: 16)
        original.writeBytes([1, 2, 3, 4])
        let copy = original
        original.writeBytes([5, 6])
        let set = original.setInteger(UInt16(0xAABB), at: 0)
        #expect(set)
        _ = original.withUnsafeMutableWritableBytes { space in
            space[0] = 9
            return 1
        }
        original.moveWriterIndex(forwardBy: 0)
        #expect(copy.readableBytesArray == [1, 2, 3, 4])
        #expect(copy.writerIndex == 4)
        #expect(original.readableBytesArray == [0xAA, 0xBB, 3, 4, 5, 6, 9])
    }

    @Test func setIntegerOnASharedBufferKeepsIndices() {
        var original = ByteBuffer(capacity: 64)
        original.writeBytes(Self.pattern(20))
        original.moveReaderIndex(forwardBy: 8)
        let copy = original
        let set = original.setInteger(UInt32(0xDEAD_BEEF), at: 10)
        #expect(set)
        #expect(original.readerIndex == 8 && original.writerIndex == 20)
        #expect(original.getInteger(at: 10, as: UInt32.self) == 0xDEAD_BEEF)
        #expect(copy.getInteger(at: 10, as: UInt32.self) != 0xDEAD_BEEF)
    }

    @Test func discardReadBytesIsTheOneOperationThatMovesIndices() {
        var buffer = ByteBuffer(capacity: 64)
        buffer.writeBytes(Self.pattern(50))
        buffer.moveReaderIndex(forwardBy: 20)
        let shared = buffer
        let discarded = buffer.discardReadBytes()
        #expect(discarded)
        #expect(buffer.readerIndex == 0 && buffer.writerIndex == 30)
        #expect(buffer.readableBytesArray == Array(Self.pattern(50)[20...]))
        #expect(buffer.capacity == 64)
        #expect(shared.readerIndex == 20 && shared.readableBytesArray == Array(Self.pattern(50)[20...]))
        let discardedAgain = buffer.discardReadBytes()
        #expect(!discardedAgain, "nothing left to discard")
    }

    @Test func pooledBufferGrowthKeepsIndices() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let (reader, writer, bytes, pooled) = try await reactor.submit { () -> (Int, Int, [UInt8]?, Bool) in
                var buffer = reactor.bufferPool.acquire(minimumCapacity: 2048)
                buffer.writeBytes(Self.pattern(100))
                _ = buffer.readBytes(length: 30)
                buffer.writeBytes(Self.pattern(3000, seed: 3))  // past the chunk: heap growth
                return (buffer.readerIndex, buffer.writerIndex, buffer.getBytes(at: 30, length: 70), buffer.isPooled)
            }
            #expect(reader == 30 && writer == 3100)
            #expect(bytes == Array(Self.pattern(100)[30...]))
            #expect(!pooled)
        }
    }

    @Test func readPathReserveDiscardsReadBytesInsteadOfGrowing() {
        var buffer = ByteBuffer(capacity: 64)
        buffer.writeBytes(Self.pattern(64))
        buffer.moveReaderIndex(forwardBy: 60)
        buffer.reserveCapacityDiscardingReadBytes(minimumWritableBytes: 32)
        #expect(buffer.capacity == 64)
        #expect(buffer.readerIndex == 0 && buffer.writerIndex == 4)
        #expect(buffer.readableBytesArray == Array(Self.pattern(64)[60...]))
        let shared = buffer
        buffer.reserveCapacityDiscardingReadBytes(minimumWritableBytes: 100)  // shared: one copy
        #expect(buffer.capacity >= 104 && buffer.readableBytesArray == Array(Self.pattern(64)[60...]))
        #expect(shared.capacity == 64 && shared.readableBytesArray == Array(Self.pattern(64)[60...]))
    }

    /// A reader that consumes part of what arrived and reads again into the same buffer keeps a
    /// bounded buffer: the read path discards the consumed bytes rather than growing forever.
    @Test func bufferReadFromWhileItFillsStaysBounded() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            let total = 1 << 20
            async let sent: Void = pair.client.write(Pattern.bytes(at: 0, count: total))
            var buffer = ByteBuffer()
            var offset = 0
            var largest = 0
            while offset < total - 1 {
                // Always leave one byte unread, so the buffer is never empty (never replaced).
                try await pair.server.readExactly(1, into: &buffer)
                let consumable = buffer.readableBytes - 1
                #expect(Pattern.matches(buffer.getSlice(at: buffer.readerIndex, length: consumable)!, at: offset))
                buffer.moveReaderIndex(forwardBy: consumable)
                offset += consumable
                largest = max(largest, buffer.capacity)
            }
            try await sent
            #expect(largest <= 256 * 1024, "the read buffer grew to \(largest) bytes for 1 MB streamed")
            pair.close()
        }
    }
}
