/// A growable byte buffer with a reader and a writer index (`0 ≤ reader ≤ writer ≤ capacity`).
///
/// Bytes between the indices are readable; bytes after the writer index are writable space
/// that a socket read fills directly. A value type with copy-on-write storage: copies and
/// slices are O(1) and share memory until one of them is mutated, so a buffer may be sent to
/// another task or thread freely (`Sendable`); a buffer from a reactor's ``BufferPool`` goes
/// back to that pool when its last copy goes away, on whatever thread that happens.
///
/// Growth doubles the capacity (amortised O(1) appends). An empty `ByteBuffer()` allocates
/// nothing.
public struct ByteBuffer: Sendable {
    var storage: BufferStorage
    /// Where this buffer's view starts inside `storage` (non-zero for slices).
    var base: Int
    /// The view's capacity (its end inside `storage` is `base + viewCapacity`).
    var viewCapacity: Int
    /// Index of the first readable byte.
    public internal(set) var readerIndex = 0
    /// Index of the first writable byte.
    public internal(set) var writerIndex = 0

    /// An empty buffer with room for `capacity` bytes (none allocated when 0).
    public init(capacity: Int = 0) {
        storage = capacity == 0 ? BufferStorage.empty : BufferStorage(capacity: capacity)
        base = 0
        viewCapacity = capacity
    }

    /// An empty buffer over `storage` (a pooled chunk).
    init(storage: BufferStorage) {
        self.storage = storage
        base = 0
        viewCapacity = storage.capacity
    }

    init(storage: BufferStorage, base: Int, capacity: Int, writerIndex: Int) {
        self.storage = storage
        self.base = base
        viewCapacity = capacity
        self.writerIndex = writerIndex
    }

    /// Total bytes this buffer can hold without growing.
    public var capacity: Int { viewCapacity }
    /// Bytes available to read.
    public var readableBytes: Int { writerIndex - readerIndex }
    /// Space available to write without growing.
    public var writableBytes: Int { viewCapacity - writerIndex }
    /// True when there is nothing to read.
    public var isEmpty: Bool { readerIndex == writerIndex }

    /// Makes room for at least `minimumWritableBytes` more bytes. Keeps the storage when it is
    /// unshared and big enough (moving the readable bytes to the front if that makes the room),
    /// otherwise copies the readable bytes into storage of at least double the capacity.
    public mutating func reserveCapacity(minimumWritableBytes: Int) {
        let unique = isKnownUniquelyReferenced(&storage)
        if unique && writableBytes >= minimumWritableBytes { return }
        let needed = readableBytes + minimumWritableBytes
        if unique && base == 0 && viewCapacity == storage.capacity && viewCapacity >= needed {
            compact()
            return
        }
        copyStorage(capacity: max(needed, viewCapacity * 2, 64))
    }

    /// Moves the readable bytes to the start of the storage (unshared storage only).
    private mutating func compact() {
        guard readerIndex > 0 else { return }
        (storage.bytes + base).copyMemory(from: storage.bytes + base + readerIndex, byteCount: readableBytes)
        writerIndex = readableBytes
        readerIndex = 0
    }

    /// Gives this buffer storage of its own (copying when it is shared). Called before every write.
    @inline(__always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { copyStorage(capacity: viewCapacity) }
    }

    private mutating func copyStorage(capacity: Int) {
        let fresh = BufferStorage(capacity: capacity)
        fresh.bytes.copyMemory(from: storage.bytes + base + readerIndex, byteCount: readableBytes)
        writerIndex = readableBytes
        readerIndex = 0
        base = 0
        viewCapacity = capacity
        storage = fresh
    }

    /// Consumes `count` readable bytes. Traps if fewer are readable.
    public mutating func moveReaderIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= readableBytes, "moveReaderIndex past the writer index")
        readerIndex += count
    }

    /// Marks `count` bytes of writable space as written. Traps past the capacity.
    public mutating func moveWriterIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= writableBytes, "moveWriterIndex past the capacity")
        makeUnique()
        writerIndex += count
    }

    /// Empties the buffer, keeping its storage (and its pool chunk). O(1).
    public mutating func clear() {
        readerIndex = 0
        writerIndex = 0
    }

    /// Calls `body` with the readable bytes. The pointer is valid only inside `body`.
    @inline(__always)
    public func withUnsafeReadableBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: storage.bytes + base + readerIndex, count: readableBytes))
    }

    /// Calls `body` with the writable space; `body` returns how many bytes it wrote, which
    /// moves the writer index. The pointer is valid only inside `body`.
    @inline(__always)
    public mutating func withUnsafeMutableWritableBytes<E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) -> Int {
        makeUnique()
        let written = try body(UnsafeMutableRawBufferPointer(start: storage.bytes + base + writerIndex, count: writableBytes))
        precondition(written >= 0 && written <= writableBytes, "wrote more than the writable space")
        writerIndex += written
        return written
    }

    /// True when the memory came from a ``BufferPool``.
    public var isPooled: Bool { storage.home != nil }
}

extension ByteBuffer: Equatable {
    /// Two buffers are equal when their readable bytes are.
    public static func == (lhs: ByteBuffer, rhs: ByteBuffer) -> Bool {
        lhs.withUnsafeReadableBytes { left in rhs.withUnsafeReadableBytes { right in left.elementsEqual(right) } }
    }
}

extension ByteBuffer: CustomStringConvertible {
    /// `ByteBuffer(readable: N, capacity: M)`.
    public var description: String { "ByteBuffer(readable: \(readableBytes), capacity: \(capacity)\(isPooled ? ", pooled" : ""))" }
}
