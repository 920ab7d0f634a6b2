/// A growable byte buffer with a reader and a writer index (`0 ≤ reader ≤ writer ≤ capacity`).
///
/// Bytes between the indices are readable; bytes after the writer index are writable space
/// that a socket read fills directly. The indices are absolute and stable: growth and
/// copy-on-write keep them and every written byte (`0..<writerIndex`) where it was, so an index
/// taken earlier still addresses the same byte. Only ``discardReadBytes()`` and ``clear()``
/// move them; the library's read paths may discard the consumed bytes of a buffer they fill
/// (see ``Conn/read(into:)``). A value type with copy-on-write storage: copies and
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

    /// Makes room for at least `minimumWritableBytes` more bytes, in storage of this buffer's
    /// own. Keeps the storage when it is unshared and has the room; otherwise copies every
    /// written byte (`0..<writerIndex`) into new storage: of the same capacity when that has the
    /// room, else of at least double. The indices never move (see ``discardReadBytes()`` to
    /// reclaim the consumed bytes' room). Amortised O(1) per byte.
    public mutating func reserveCapacity(minimumWritableBytes: Int) {
        let unique = isKnownUniquelyReferenced(&storage)
        if writableBytes >= minimumWritableBytes {
            if !unique && viewCapacity > 0 { copyStorage(capacity: viewCapacity) }
            return
        }
        copyStorage(capacity: max(writerIndex + minimumWritableBytes, viewCapacity * 2, 64))
    }

    /// Drops the consumed bytes (those before the reader index): the readable bytes move to
    /// index 0, the reader index becomes 0 and the writer index the readable count, so every
    /// index obtained before this call is invalid after it. The capacity stays; unshared storage
    /// is reused, shared storage is left to its other users (only the readable bytes are
    /// copied). Returns false, and changes nothing, when the reader index is already 0. O(n) in
    /// the readable bytes.
    @discardableResult
    public mutating func discardReadBytes() -> Bool {
        guard readerIndex > 0 else { return false }
        if isKnownUniquelyReferenced(&storage) {
            let readable = readableBytes
            (storage.bytes + base).copyMemory(from: storage.bytes + base + readerIndex, byteCount: readable)
            readerIndex = 0
            writerIndex = readable
        } else {
            copyReadableBytes(toStorageOfCapacity: viewCapacity)
        }
        return true
    }

    /// Makes room for `minimumWritableBytes` more bytes for a reader that owns the buffer's
    /// indices (the library's read paths and write queues): discards the consumed bytes when
    /// room is needed, so a buffer that is read from while it fills stays bounded. Moves the
    /// indices like ``discardReadBytes()`` when it discards; copies at most once.
    mutating func reserveCapacityDiscardingReadBytes(minimumWritableBytes: Int) {
        let unique = isKnownUniquelyReferenced(&storage)
        if unique && writableBytes >= minimumWritableBytes { return }
        let roomAfterDiscard = viewCapacity - readableBytes
        if unique && roomAfterDiscard >= minimumWritableBytes {
            discardReadBytes()
        } else if roomAfterDiscard >= minimumWritableBytes {
            copyReadableBytes(toStorageOfCapacity: viewCapacity)
        } else {
            copyReadableBytes(toStorageOfCapacity: max(readableBytes + minimumWritableBytes, viewCapacity * 2, 64))
        }
    }

    /// Moves the readable bytes to index 0 of fresh heap storage of `capacity`.
    private mutating func copyReadableBytes(toStorageOfCapacity capacity: Int) {
        let readable = readableBytes
        let fresh = BufferStorage(capacity: capacity)
        fresh.bytes.copyMemory(from: storage.bytes + base + readerIndex, byteCount: readable)
        storage = fresh
        base = 0
        viewCapacity = capacity
        readerIndex = 0
        writerIndex = readable
    }

    /// Gives this buffer storage of its own (copying when it is shared), indices and bytes
    /// unchanged. Called before every write.
    @inline(__always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { copyStorage(capacity: viewCapacity) }
    }

    /// Moves to fresh heap storage of `capacity` (at least the writer index) holding every
    /// written byte at the same index: the indices and the bytes are unchanged.
    private mutating func copyStorage(capacity: Int) {
        precondition(capacity >= writerIndex, "ByteBuffer storage smaller than its written bytes")
        let fresh = BufferStorage(capacity: capacity)
        fresh.bytes.copyMemory(from: storage.bytes + base, byteCount: writerIndex)
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
