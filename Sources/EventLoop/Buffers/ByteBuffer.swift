/// A growable byte buffer with a reader and a writer index (`0 ≤ reader ≤ writer ≤ capacity`).
///
/// Bytes between the indices are readable; bytes after the writer index are writable space
/// that reads from a socket fill directly. A value type with copy-on-write storage: copies
/// are O(1) and share memory until one of them is mutated, so a buffer may be sent to another
/// task or thread freely (`Sendable`).
public struct ByteBuffer: Sendable {
    // @unchecked Sendable: the memory is mutated only through a uniquely referenced storage
    // (copy-on-write in `makeUnique`), so no two threads can see a write race.
    final class Storage: @unchecked Sendable {
        let bytes: UnsafeMutableRawPointer
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            bytes = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 16)
        }

        deinit { bytes.deallocate() }
    }

    var storage: Storage
    /// Index of the first readable byte.
    public private(set) var readerIndex = 0
    /// Index of the first writable byte.
    public private(set) var writerIndex = 0

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        storage = Storage(capacity: capacity)
    }

    /// A buffer holding `bytes` as its readable bytes.
    public init(bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        self.init(capacity: array.count)
        writeBytes(array)
    }

    /// A buffer holding the UTF-8 of `string` as its readable bytes.
    public init(string: String) {
        self.init(bytes: string.utf8)
    }

    /// Total bytes of storage.
    public var capacity: Int { storage.capacity }
    /// Bytes available to read.
    public var readableBytes: Int { writerIndex - readerIndex }
    /// Space available to write without growing.
    public var writableBytes: Int { storage.capacity - writerIndex }

    /// Makes room for at least `minimumWritableBytes` more bytes (amortised O(1) growth; moves
    /// the readable bytes to the front when that is enough).
    public mutating func reserveCapacity(minimumWritableBytes: Int) {
        if isKnownUniquelyReferenced(&storage), writableBytes >= minimumWritableBytes { return }
        let needed = readableBytes + minimumWritableBytes
        let newCapacity = (isKnownUniquelyReferenced(&storage) && storage.capacity >= needed)
            ? storage.capacity : max(needed, storage.capacity * 2, 64)
        copyStorage(capacity: newCapacity)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { copyStorage(capacity: storage.capacity) }
    }

    private mutating func copyStorage(capacity: Int) {
        let fresh = Storage(capacity: capacity)
        fresh.bytes.copyMemory(from: storage.bytes + readerIndex, byteCount: readableBytes)
        writerIndex = readableBytes
        readerIndex = 0
        storage = fresh
    }

    /// Appends bytes, growing as needed.
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserveCapacity(minimumWritableBytes: bytes.count)
        (storage.bytes + writerIndex).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        writerIndex += bytes.count
    }

    /// Appends bytes from a collection, growing as needed.
    public mutating func writeBytes(_ bytes: some Collection<UInt8>) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ writeBytes(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { writeBytes($0) }
    }

    /// Appends the UTF-8 of `string`.
    public mutating func writeString(_ string: String) {
        var copy = string
        copy.withUTF8 { writeBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Reads and consumes `length` bytes; nil (and nothing consumed) when fewer are readable.
    public mutating func readBytes(length: Int) -> [UInt8]? {
        guard length >= 0, length <= readableBytes else { return nil }
        let result = [UInt8](UnsafeRawBufferPointer(start: storage.bytes + readerIndex, count: length))
        readerIndex += length
        return result
    }

    /// Reads and consumes `length` bytes as UTF-8 text; nil when fewer are readable.
    public mutating func readString(length: Int) -> String? {
        guard let bytes = readBytes(length: length) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The readable bytes as an array, without consuming them. O(n).
    public var readableBytesArray: [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: storage.bytes + readerIndex, count: readableBytes))
    }

    /// Consumes `count` readable bytes. Traps if fewer are readable.
    public mutating func moveReaderIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= readableBytes, "moveReaderIndex past the writer index")
        readerIndex += count
    }

    /// Marks `count` bytes of writable space as written. Traps past the capacity.
    public mutating func moveWriterIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= writableBytes, "moveWriterIndex past the capacity")
        writerIndex += count
    }

    /// Empties the buffer, keeping its storage. O(1).
    public mutating func clear() {
        makeUnique()
        readerIndex = 0
        writerIndex = 0
    }

    /// Calls `body` with the readable bytes. The pointer is valid only inside `body`.
    public func withUnsafeReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.bytes + readerIndex, count: readableBytes))
    }

    /// Calls `body` with the writable space; `body` returns how many bytes it wrote, which
    /// moves the writer index. The pointer is valid only inside `body`.
    public mutating func withUnsafeMutableWritableBytes<E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) -> Int {
        makeUnique()
        let written = try body(UnsafeMutableRawBufferPointer(start: storage.bytes + writerIndex, count: writableBytes))
        precondition(written >= 0 && written <= writableBytes, "wrote more than the writable space")
        writerIndex += written
        return written
    }
}

extension ByteBuffer: Equatable {
    /// Two buffers are equal when their readable bytes are.
    public static func == (lhs: ByteBuffer, rhs: ByteBuffer) -> Bool {
        lhs.withUnsafeReadableBytes { left in rhs.withUnsafeReadableBytes { right in left.elementsEqual(right) } }
    }
}

extension ByteBuffer: CustomStringConvertible {
    /// `ByteBuffer(readable: N, capacity: M)`.
    public var description: String { "ByteBuffer(readable: \(readableBytes), capacity: \(capacity))" }
}
