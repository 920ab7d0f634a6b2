/// The memory behind one or more ``ByteBuffer`` values: a fixed-size chunk, from the heap or
/// from a reactor's ``BufferPool``.
///
/// A pooled chunk knows its home: when the last buffer referencing it goes away on any thread,
/// the chunk goes back to that pool (see ``BufferPoolHome``) instead of to the system.
// @unchecked Sendable: the memory at `bytes` is written only through a uniquely referenced
// storage (ByteBuffer copies on write); `isFree` is written only by the pool while it holds the
// storage alone (on its reactor thread, or on any thread while the reactor is not running), and read in
// `deinit`, which the release of the last reference orders after those writes.
final class BufferStorage: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    let capacity: Int
    /// The pool this chunk belongs to; nil for heap memory.
    let home: BufferPoolHome?
    /// The pool's size class of the chunk (index into its classes), or -1.
    let sizeClass: Int
    /// True while the storage sits in its pool's free list (guards against double release).
    var isFree = false

    /// Heap storage of `capacity` bytes.
    init(capacity: Int) {
        self.capacity = capacity
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 16)
        home = nil
        sizeClass = -1
    }

    /// Storage around a pooled chunk.
    init(chunk: UnsafeMutableRawPointer, capacity: Int, home: BufferPoolHome, sizeClass: Int) {
        bytes = chunk
        self.capacity = capacity
        self.home = home
        self.sizeClass = sizeClass
    }

    deinit {
        if let home, !isFree {
            // The last buffer using a pooled chunk is gone: the chunk goes home.
            home.chunkReturned(bytes, sizeClass: sizeClass)
        } else {
            // Heap memory, or a free chunk the pool dropped (cap reached, or pool closed).
            bytes.deallocate()
        }
    }

    /// The storage of every empty buffer: no allocation for `ByteBuffer()`.
    static let empty = BufferStorage(capacity: 0)
}
