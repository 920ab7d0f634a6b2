extension ByteBuffer {
    /// The readable bytes as a new buffer sharing this one's memory: O(1), no copy. The slice
    /// keeps the memory alive after this buffer is gone; writing to either copies first.
    public func slice() -> ByteBuffer {
        getSlice(at: readerIndex, length: readableBytes)!
    }

    /// `length` bytes at `index` (from the start of the buffer) as a zero-copy buffer; nil when
    /// the range is not inside the written bytes.
    public func getSlice(at index: Int, length: Int) -> ByteBuffer? {
        guard length >= 0, index >= 0, index + length <= writerIndex else { return nil }
        return ByteBuffer(storage: storage, base: base + index, capacity: length, writerIndex: length)
    }

    /// Reads and consumes `length` bytes as a zero-copy buffer; nil when fewer are readable.
    public mutating func readSlice(length: Int) -> ByteBuffer? {
        guard let slice = getSlice(at: readerIndex, length: length) else { return nil }
        readerIndex += length
        return slice
    }
}
