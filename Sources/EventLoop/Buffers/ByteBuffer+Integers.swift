/// Byte order for integers in a ``ByteBuffer``.
public enum Endianness: Sendable {
    /// Most significant byte first (network order).
    case big
    /// Least significant byte first.
    case little
}

extension ByteBuffer {
    /// Appends `value` in `endianness` (network order by default); returns its size.
    @discardableResult
    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T, endianness: Endianness = .big, as: T.Type = T.self) -> Int {
        let size = MemoryLayout<T>.size
        reserveCapacity(minimumWritableBytes: size)
        let ordered = endianness == .big ? value.bigEndian : value.littleEndian
        (storage.bytes + base + writerIndex).storeBytes(of: ordered, as: T.self)
        writerIndex += size
        return size
    }

    /// Reads and consumes an integer; nil (nothing consumed) when too few bytes are readable.
    public mutating func readInteger<T: FixedWidthInteger>(endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        guard let value = getInteger(at: readerIndex, endianness: endianness, as: T.self) else { return nil }
        readerIndex += MemoryLayout<T>.size
        return value
    }

    /// The integer at `index` (from the start of the buffer) without consuming anything; nil
    /// when it is not inside the written bytes. Unaligned access is fine.
    public func getInteger<T: FixedWidthInteger>(at index: Int, endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard index >= 0, index + size <= writerIndex else { return nil }
        let raw = UnsafeRawPointer(storage.bytes + base + index).loadUnaligned(as: T.self)
        return endianness == .big ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    /// Overwrites the integer at `index`, which must be inside the written bytes (for length
    /// prefixes filled in afterwards). Returns false when it is not.
    @discardableResult
    public mutating func setInteger<T: FixedWidthInteger>(_ value: T, at index: Int, endianness: Endianness = .big) -> Bool {
        let size = MemoryLayout<T>.size
        guard index >= 0, index + size <= writerIndex else { return false }
        makeUnique()
        let ordered = endianness == .big ? value.bigEndian : value.littleEndian
        (storage.bytes + base + index).storeBytes(of: ordered, toByteOffset: 0, as: T.self)
        return true
    }
}
