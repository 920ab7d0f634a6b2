/// Feeds arbitrary bytes to the echo example's `LineFramer`, cut into chunks of 1 to 8 bytes,
/// and checks what comes out against a plain model of the line protocol: the stream split at
/// LF, one CR before it dropped, a line longer than the limit ending the stream. Input layout:
/// byte 0 is the line limit (0 to 63), byte 1 seeds the chunk sizes, the rest is the stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineFramer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 2 else { return 0 }
    let limit = Int(data[0] & 63)
    var seed = UInt32(data[1]) | 1
    let stream = UnsafeRawBufferPointer(start: data + 2, count: size - 2)

    var framer = LineFramer(maxLineLength: limit)
    var lines: [[UInt8]] = []
    var status = LineFramer.Status.ok
    var start = 0
    while start < stream.count && status == .ok {
        seed = seed &* 1_103_515_245 &+ 12_345
        let end = min(stream.count, start + 1 + Int(seed >> 16) % 8)
        status = framer.feed(UnsafeRawBufferPointer(rebasing: stream[start..<end])) { lines.append(Array($0)) }
        start = end
    }
    if status == .ok { status = framer.finish { lines.append(Array($0)) } }

    let (expectedLines, expectedStatus) = model(Array(stream), limit: limit)
    precondition(lines == expectedLines, "lines \(lines) != model \(expectedLines) (limit \(limit))")
    precondition(status == expectedStatus, "status \(status) != model \(expectedStatus) (limit \(limit))")
    precondition(framer.bufferedBytes == 0, "\(framer.bufferedBytes) bytes still buffered after finish")
    return 0
}

/// The line protocol, written the obvious way.
private func model(_ stream: [UInt8], limit: Int) -> ([[UInt8]], LineFramer.Status) {
    var pieces = stream.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if pieces.last?.isEmpty == true { pieces.removeLast() }  // a stream ending in LF has no final fragment
    var lines: [[UInt8]] = []
    for var piece in pieces {
        if piece.last == 0x0D { piece.removeLast() }
        if piece.count > limit { return (lines, .lineTooLong) }
        lines.append(piece)
    }
    return (lines, .ok)
}
