import COpenSSL

/// The calling thread's OpenSSL error queue, drained into text.
enum OpenSSLErrorQueue {
    /// Empties the queue (before an operation whose errors are to be read afterwards).
    @inline(__always)
    static func clear() { ERR_clear_error() }

    /// The reasons in the queue, oldest first, joined with "; " (the queue is emptied), or
    /// `fallback` when it is empty. Only the reason part of each entry (`wrong version number`),
    /// as OpenSSL's `ERR_reason_error_string` gives it.
    static func drain(fallback: String) -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let text = ERR_reason_error_string(code) {
                reasons.append(String(cString: text))
            } else {
                reasons.append("OpenSSL error \(code)")
            }
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }

}
