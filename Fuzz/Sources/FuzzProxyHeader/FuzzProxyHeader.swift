import EventLoop

/// Feeds arbitrary bytes to `ProxyHeaderParser.parse(_:maximumLength:)` (the spec's maximum
/// and 536 bytes) and checks what it promises: a complete header lies within the bytes and the
/// maximum, parses the same from its own bytes alone, every shorter prefix of it is
/// `.incomplete`, and its addresses survive `ProxyHeaderEncoder` and a second parse.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    for maximum in [ProxyHeaderParser.v2MaximumLength, 536] {
        check(bytes, maximum: maximum)
    }
    return 0
}

private func check(_ bytes: UnsafeRawBufferPointer, maximum: Int) {
    guard case .complete(let header) = ProxyHeaderParser.parse(bytes, maximumLength: maximum) else { return }
    precondition(header.length <= bytes.count && header.length <= maximum, "header of \(header.length) bytes from \(bytes.count)")
    if header.version == .v1 { precondition(header.length <= ProxyHeaderParser.v1MaximumLength, "v1 of \(header.length) bytes") }
    let own = UnsafeRawBufferPointer(rebasing: bytes[..<header.length])
    precondition(ProxyHeaderParser.parse(own, maximumLength: maximum) == .complete(header), "differs on its own bytes")
    for count in 0..<header.length {
        let prefix = ProxyHeaderParser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<count]), maximumLength: maximum)
        precondition(prefix == .incomplete, "prefix of \(count) bytes: \(prefix)")
    }
    precondition((header.source == nil) == (header.destination == nil), "one address without the other")
    let encoded = ProxyHeaderEncoder.encode(header)
    let again = encoded.withUnsafeBytes { ProxyHeaderParser.parse($0) }
    guard case .complete(let reparsed) = again else { preconditionFailure("encoded \(header) does not parse: \(again)") }
    precondition(reparsed.source == header.source && reparsed.destination == header.destination, "\(header) became \(reparsed)")
}
