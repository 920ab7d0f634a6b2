extension ByteBuffer {
    /// A buffer holding `bytes` as its readable bytes.
    public init(bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        self.init(capacity: array.count)
        writeBytes(array)
    }

    /// A buffer holding the UTF-8 of `string` as its readable bytes.
    public init(string: String) {
        self.init(capacity: string.utf8.count)
        writeString(string)
    }

    /// Appends bytes, growing as needed. Amortised O(n).
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserveCapacity(minimumWritableBytes: bytes.count)
        (storage.bytes + base + writerIndex).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        writerIndex += bytes.count
    }

    /// Appends bytes from a collection, growing as needed.
    public mutating func writeBytes(_ bytes: some Collection<UInt8>) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ writeBytes(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { writeBytes($0) }
    }

    /// Appends another buffer's readable bytes.
    public mutating func writeBuffer(_ other: ByteBuffer) {
        other.withUnsafeReadableBytes { writeBytes($0) }
    }

    /// Appends the UTF-8 of `string`; returns the byte count.
    @discardableResult
    public mutating func writeString(_ string: String) -> Int {
        var copy = string
        return copy.withUTF8 { utf8 in
            writeBytes(UnsafeRawBufferPointer(utf8))
            return utf8.count
        }
    }

    /// Reads and consumes `length` bytes; nil (and nothing consumed) when fewer are readable.
    public mutating func readBytes(length: Int) -> [UInt8]? {
        guard let bytes = getBytes(at: readerIndex, length: length) else { return nil }
        readerIndex += length
        return bytes
    }

    /// The bytes at `index` (from the start of the buffer) without consuming anything; nil when
    /// the range is not inside the written bytes.
    public func getBytes(at index: Int, length: Int) -> [UInt8]? {
        guard length >= 0, index >= 0, index + length <= writerIndex else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: storage.bytes + base + index, count: length))
    }

    /// Reads and consumes `length` bytes as UTF-8 text; nil when fewer are readable.
    public mutating func readString(length: Int) -> String? {
        guard let text = getString(at: readerIndex, length: length) else { return nil }
        readerIndex += length
        return text
    }

    /// The UTF-8 text at `index` without consuming anything (invalid UTF-8 is repaired).
    public func getString(at index: Int, length: Int) -> String? {
        guard length >= 0, index >= 0, index + length <= writerIndex else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: storage.bytes + base + index, count: length), as: UTF8.self)
    }

    /// The readable bytes as an array, without consuming them. O(n).
    public var readableBytesArray: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }

    /// The index of the first readable `byte`, from the start of the buffer; nil when absent.
    /// Uses memchr: O(n) at memory speed.
    public func firstIndex(of byte: UInt8) -> Int? {
        withUnsafeReadableBytes { bytes -> Int? in
            guard let start = bytes.baseAddress else { return nil }
            guard let found = memchr(start, Int32(byte), bytes.count) else { return nil }
            return readerIndex + (UnsafeRawPointer(found) - start)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
