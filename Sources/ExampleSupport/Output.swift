import Glibc

/// Writes `text` to standard error, unbuffered, in one call (so lines from several threads
/// do not interleave).
public func standardError(_ text: String) {
    write(text, to: 2)
}

/// Writes `line` and a newline to standard output, unbuffered, in one call: the output is
/// visible at once even when it goes to a pipe.
public func standardOutput(_ line: String) {
    write(line + "\n", to: 1)
}

private func write(_ text: String, to descriptor: Int32) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
