import EventLoop

/// The line protocol of the Go example this server replaces: each line is answered with
/// `Echo: <line>\n`; a line over the limit gets `ERR line too long\n` and the connection is
/// closed (politely: the answer is flushed, the write side shut, and what the peer still sends
/// is read and dropped for a moment, so the peer reads the answer instead of a reset).
enum LineProtocol {
    /// Precedes every answered line.
    static let prefix: [UInt8] = Array("Echo: ".utf8)
    /// The answer to a line over the limit.
    static let tooLongAnswer = "ERR line too long\n"
    /// How long input is still read and dropped after `ERR line too long`, before the close.
    static let lingerAfterError: Duration = .seconds(2)

    /// Appends the answer to `line` (given without its terminator) to `reply`.
    @inline(__always)
    static func answer(_ line: UnsafeRawBufferPointer, into reply: inout ByteBuffer) {
        prefix.withUnsafeBytes { reply.writeBytes($0) }
        reply.writeBytes(line)
        reply.writeBytes(CollectionOfOne(0x0A))
    }
}
