/// Finds the end of an HTTP/1.x request head (the first empty line, `CRLF CRLF` or a bare
/// `LF LF`) in bytes that arrive in pieces.
///
/// Each byte is looked at once over all calls, so scanning is O(total length) however the
/// head is split. A plain value owned by one connection's task.
struct HTTPHeadScanner {
    private var scanned = 0
    private var lineStart = 0

    /// The index just past the empty line ending the head in `bytes` (which only ever grows
    /// between calls), or nil while the head is incomplete.
    mutating func endOfHead(in bytes: [UInt8]) -> Int? {
        while scanned < bytes.count {
            let index = scanned
            scanned += 1
            guard bytes[index] == UInt8(ascii: "\n") else { continue }
            let length = index - lineStart
            let empty = length == 0 || (length == 1 && bytes[lineStart] == UInt8(ascii: "\r"))
            lineStart = index + 1
            if empty { return index + 1 }
        }
        return nil
    }
}
