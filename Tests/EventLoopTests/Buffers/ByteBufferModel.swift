@testable import EventLoop
import Glibc

/// One step of a random ByteBuffer scenario; its parameters are small numbers decoded into
/// counts and indices so that shrinking a failing scenario keeps it meaningful.
enum BufferStep: Sendable, CustomStringConvertible {
    case write(count: Int, seed: UInt8)
    case writeInteger(UInt32)
    case writeUnsafe(count: Int)
    case read(count: Int)
    case readSlice(count: Int)
    case getBytes(at: Int, count: Int)
    case setInteger(UInt16, at: Int)
    case getInteger(at: Int)
    case reserve(Int)
    case keepCopy
    case writeToKept(index: Int, count: Int)
    case discardReadBytes
    case clear
    case moveReaderIndex(Int)
    case recycle
    case acquire(Int)
    case readPathReserve(Int)

    static let kinds = 17

    /// Decodes a generated triple; `size` spans 0...3000 (past a 2 KB chunk), `small` 0...255.
    init(kind: Int, size: Int, small: Int) {
        switch kind {
        case 0: self = .write(count: small < 40 ? size : size % 300, seed: UInt8(small))
        case 1: self = .writeInteger(UInt32(size) << 8 | UInt32(small))
        case 2: self = .writeUnsafe(count: small)
        case 3: self = .read(count: size % 400)
        case 4: self = .readSlice(count: size % 400)
        case 5: self = .getBytes(at: size % 600, count: small)
        case 6: self = .setInteger(UInt16(truncatingIfNeeded: size &* 257 &+ small), at: size % 600)
        case 7: self = .getInteger(at: size % 600)
        case 8: self = .reserve(size)
        case 9: self = .keepCopy
        case 10: self = .writeToKept(index: small, count: size % 300)
        case 11: self = .discardReadBytes
        case 12: self = .clear
        case 13: self = .moveReaderIndex(small)
        case 14: self = .recycle
        case 15: self = .acquire(size)
        default: self = .readPathReserve(small < 128 ? small : size)
        }
    }

    var description: String {
        switch self {
        case .write(let count, let seed): "write(\(count), seed \(seed))"
        case .writeInteger(let value): "writeInteger(\(value))"
        case .writeUnsafe(let count): "writeUnsafe(\(count))"
        case .read(let count): "read(\(count))"
        case .readSlice(let count): "readSlice(\(count))"
        case .getBytes(let index, let count): "getBytes(at: \(index), \(count))"
        case .setInteger(let value, let index): "setInteger(\(value), at: \(index))"
        case .getInteger(let index): "getInteger(at: \(index))"
        case .reserve(let count): "reserve(\(count))"
        case .keepCopy: "keepCopy"
        case .writeToKept(let index, let count): "writeToKept(\(index), \(count))"
        case .discardReadBytes: "discardReadBytes"
        case .clear: "clear"
        case .moveReaderIndex(let count): "moveReaderIndex(\(count))"
        case .recycle: "recycle"
        case .acquire(let count): "acquire(\(count))"
        case .readPathReserve(let count): "readPathReserve(\(count))"
        }
    }
}

/// What a ByteBuffer should hold: every written byte (`0..<writerIndex`) and the reader index.
struct BufferModel {
    var bytes: [UInt8] = []
    var readerIndex = 0
    var writerIndex: Int { bytes.count }
    var readable: ArraySlice<UInt8> { bytes[readerIndex...] }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var value = seed
        for index in 0..<count {
            bytes[index] = value
            value = value &* 5 &+ 1
        }
        return bytes
    }
}

/// Runs random steps against a buffer and a ``BufferModel`` side by side, with up to four kept
/// copies and slices (each with its own model), and lists every disagreement.
struct BufferScenario {
    var buffer: ByteBuffer
    var model = BufferModel()
    var kept: [(buffer: ByteBuffer, model: BufferModel)] = []
    var problems: [String] = []
    /// The reactor's pool, for `recycle` and `acquire` steps (nil: heap buffers only).
    let pool: BufferPool?

    init(start: ByteBuffer, pool: BufferPool?) {
        buffer = start
        self.pool = pool
    }

    mutating func run(_ steps: [BufferStep]) -> [String] {
        for (number, step) in steps.enumerated() {
            apply(step)
            check("after step \(number) \(step)")
            if problems.count > 5 { break }
        }
        return problems
    }

    private mutating func expect(_ condition: Bool, _ what: String) {
        if !condition { problems.append(what) }
    }

    private mutating func apply(_ step: BufferStep) {
        switch step {
        case .write(let count, let seed):
            let bytes = BufferModel.pattern(count, seed: seed)
            buffer.writeBytes(bytes)
            model.bytes += bytes
        case .writeInteger(let value):
            buffer.writeInteger(value)
            model.bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        case .writeUnsafe(let wanted):
            let count = min(wanted, buffer.writableBytes)
            let bytes = BufferModel.pattern(count, seed: UInt8(truncatingIfNeeded: wanted))
            let written = buffer.withUnsafeMutableWritableBytes { space in
                space.copyBytes(from: bytes)
                return count
            }
            expect(written == count, "writeUnsafe wrote \(written), not \(count)")
            model.bytes += bytes
        case .read(let count):
            let got = buffer.readBytes(length: count)
            if count <= model.readable.count {
                expect(got.map { $0 == Array(model.readable.prefix(count)) } == true, "read(\(count)) returned other bytes")
                model.readerIndex += count
            } else {
                expect(got == nil, "read(\(count)) past the readable bytes returned bytes")
            }
        case .readSlice(let count):
            let slice = buffer.readSlice(length: count)
            if count <= model.readable.count {
                keep(slice, BufferModel(bytes: Array(model.readable.prefix(count))))
                model.readerIndex += count
            } else {
                expect(slice == nil, "readSlice(\(count)) past the readable bytes returned a slice")
            }
        case .getBytes(let index, let count):
            let got = buffer.getBytes(at: index, length: count)
            let inside = index + count <= model.writerIndex
            expect(got == (inside ? Array(model.bytes[index..<index + count]) : nil), "getBytes(at: \(index), \(count)) = \(String(describing: got?.prefix(8)))")
        case .setInteger(let value, let index):
            let inside = index + 2 <= model.writerIndex
            expect(buffer.setInteger(value, at: index) == inside, "setInteger(at: \(index)) answered wrongly")
            if inside {
                model.bytes[index] = UInt8(value >> 8)
                model.bytes[index + 1] = UInt8(value & 0xff)
            }
        case .getInteger(let index):
            let got = buffer.getInteger(at: index, as: UInt16.self)
            let want = index + 2 <= model.writerIndex ? UInt16(model.bytes[index]) << 8 | UInt16(model.bytes[index + 1]) : nil
            expect(got == want, "getInteger(at: \(index)) = \(String(describing: got)), expected \(String(describing: want))")
        case .reserve(let count):
            buffer.reserveCapacity(minimumWritableBytes: count)
            expect(buffer.writableBytes >= count, "reserve(\(count)) left \(buffer.writableBytes) writable")
        case .keepCopy:
            keep(buffer, model)
        case .writeToKept(let index, let count):
            guard !kept.isEmpty else { return }
            let bytes = BufferModel.pattern(count, seed: UInt8(truncatingIfNeeded: index))
            kept[index % kept.count].buffer.writeBytes(bytes)
            kept[index % kept.count].model.bytes += bytes
        case .discardReadBytes:
            let discarded = buffer.discardReadBytes()
            expect(discarded == (model.readerIndex > 0), "discardReadBytes answered \(discarded)")
            model.bytes.removeFirst(model.readerIndex)
            model.readerIndex = 0
        case .clear:
            buffer.clear()
            model = BufferModel()
        case .moveReaderIndex(let wanted):
            let count = min(wanted, model.readable.count)
            buffer.moveReaderIndex(forwardBy: count)
            model.readerIndex += count
        case .recycle:
            guard let pool else { return }
            if pool.recycle(&buffer) {
                expect(buffer.capacity == 0 && buffer.readerIndex == 0 && buffer.writerIndex == 0, "a recycled buffer is not left empty")
                model = BufferModel()
            }
        case .readPathReserve(let count):
            // Either nothing moves (the room was there) or the consumed bytes are discarded.
            buffer.reserveCapacityDiscardingReadBytes(minimumWritableBytes: count)
            expect(buffer.writableBytes >= count, "readPathReserve(\(count)) left \(buffer.writableBytes) writable")
            if buffer.readerIndex != model.readerIndex {
                expect(buffer.readerIndex == 0, "readPathReserve moved the reader index to \(buffer.readerIndex)")
                model.bytes.removeFirst(model.readerIndex)
                model.readerIndex = 0
            }
        case .acquire(let capacity):
            guard let pool else { return }
            buffer = pool.acquire(minimumCapacity: capacity)
            expect(buffer.isPooled && buffer.capacity >= min(capacity, BufferPool.sizeClasses.last!), "acquire(\(capacity)) gave \(buffer)")
            model = BufferModel()
        }
    }

    private mutating func keep(_ buffer: ByteBuffer?, _ model: BufferModel) {
        guard let buffer else { return problems.append("a slice or copy is missing") }
        if kept.count == 4 { kept.removeFirst() }
        kept.append((buffer, model))
    }

    private mutating func check(_ context: String) {
        let mismatch = Self.mismatch(buffer, model)
        expect(mismatch == nil, "buffer \(context): \(mismatch ?? "")")
        for (index, entry) in kept.enumerated() {
            let mismatch = Self.mismatch(entry.buffer, entry.model)
            expect(mismatch == nil, "kept copy \(index) \(context): \(mismatch ?? "")")
        }
    }

    /// How `buffer` differs from `model`, or nil.
    static func mismatch(_ buffer: ByteBuffer, _ model: BufferModel) -> String? {
        if buffer.readerIndex != model.readerIndex || buffer.writerIndex != model.writerIndex {
            return "indices \(buffer.readerIndex)/\(buffer.writerIndex), expected \(model.readerIndex)/\(model.writerIndex)"
        }
        if buffer.capacity < buffer.writerIndex || buffer.writableBytes != buffer.capacity - buffer.writerIndex {
            return "capacity \(buffer.capacity) and writable \(buffer.writableBytes) disagree with writer index \(buffer.writerIndex)"
        }
        guard let written = buffer.getSlice(at: 0, length: model.writerIndex) else { return "written bytes not addressable" }
        let same = written.withUnsafeReadableBytes { actual in
            model.bytes.withUnsafeBytes { expected in
                actual.count == expected.count && (actual.count == 0 || memcmp(actual.baseAddress!, expected.baseAddress!, actual.count) == 0)
            }
        }
        if !same { return "written bytes differ" }
        if buffer.readableBytes != model.readable.count { return "readable count \(buffer.readableBytes)" }
        return nil
    }
}
