import EventLoop

/// One active health check of one upstream: connect, send ``HealthCheckSettings/send``, read
/// until the reply starts with ``HealthCheckSettings/expect``, close. The whole probe is
/// bounded by ``HealthCheckSettings/probeTimeout``; the connection is closed on every path.
enum HealthProbe {
    /// Why a probe failed, as one line for the log.
    struct Failure: Error, CustomStringConvertible, Sendable {
        let description: String
    }

    /// Probes `target` from `reactor`'s thread (the calling task runs there). Returns nil when
    /// the probe passed, otherwise why it failed; throws only `CancellationError` (the checks
    /// are stopping).
    nonisolated(nonsending) static func run(_ target: UpstreamPool.Target, settings: HealthCheckSettings,
                                            on reactor: Reactor) async throws -> Failure? {
        let timeout = settings.probeTimeout
        let deadline = Deadline.after(timeout)
        let conn: TCPConn
        do {
            conn = try await Dialer(timeout: timeout).dial(target.addresses, label: target.label, on: reactor)
        } catch let error as NetError {
            return Failure(description: "connect failed: \(error)")
        }
        defer { conn.close() }
        conn.setDeadline(deadline)
        if !settings.send.isEmpty {
            do {
                try await conn.write(settings.send)
            } catch let error as NetError {
                return Failure(description: "send failed: \(error)")
            }
        }
        return try await awaitReply(on: conn, expect: settings.expect, timeout: timeout)
    }

    /// Reads until the reply holds `expect.count` bytes; fails at the first byte that differs,
    /// on end of stream, on a reset or at the deadline already set on `conn`.
    nonisolated(nonsending) private static func awaitReply(on conn: TCPConn, expect: [UInt8], timeout: Duration) async throws -> Failure? {
        var received: [UInt8] = []
        var buffer = ByteBuffer()
        while received.count < expect.count {
            buffer.clear()
            let count: Int
            do {
                count = try await conn.read(into: &buffer)
            } catch let error as NetError where error.code == .timeout {
                return Failure(description: "no reply within \(timeout.inSeconds) s (\(received.count) of \(expect.count) expected bytes)")
            } catch let error as NetError {
                return Failure(description: "read failed after \(received.count) of \(expect.count) expected bytes: \(error)")
            }
            if count == 0 {
                return Failure(description: "closed after \(received.count) of \(expect.count) expected bytes")
            }
            buffer.withUnsafeReadableBytes { received.append(contentsOf: $0.prefix(expect.count - received.count)) }
            if !expect.starts(with: received) {
                return Failure(description: "wrong reply: \(quoted(received)) (expected \(quoted(expect)))")
            }
        }
        return nil
    }

    /// Bytes as a C-escaped string in quotes, for a log line.
    static func quoted(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            switch byte {
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x09: text += "\\t"
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return text + "\""
    }
}
