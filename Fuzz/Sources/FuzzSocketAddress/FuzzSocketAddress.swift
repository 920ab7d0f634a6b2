import EventLoop

/// Feeds arbitrary bytes to `SocketAddress(_:)`. Whatever the text, parsing either throws
/// `.invalidAddress` or returns an address whose `description` parses back to the same text;
/// text with a NUL byte never parses (C calls behind the parser would cut it short).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSocketAddress(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let address = try? SocketAddress(text) else { return 0 }
    precondition(!text.utf8.contains(0), "parsed text with a NUL byte: \(text.debugDescription) as \(address)")
    let printed = address.description
    guard let again = try? SocketAddress(printed) else {
        preconditionFailure("\(text.debugDescription) parsed as \(printed), which does not parse")
    }
    precondition(again.description == printed, "\(printed) parsed back as \(again)")
    return 0
}
