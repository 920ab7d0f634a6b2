/// The active health checks' settings (`--health-*`).
struct HealthCheckSettings: Sendable, Equatable {
    /// Seconds between probes of one upstream; 0 (the default): no active checks.
    var interval: Double = 0
    /// Bytes sent once connected; empty: the probe only connects.
    var send: [UInt8] = []
    /// Bytes the reply must start with; empty: no reply is awaited.
    var expect: [UInt8] = []
    /// Consecutive failed probes that take an upstream out of rotation.
    var fall = 3
    /// Consecutive good probes that put it back.
    var rise = 2

    /// True when upstreams are probed.
    var isEnabled: Bool { interval > 0 }

    /// `--health-timeout`: seconds one probe may take; nil: the interval, at most 2 s.
    var timeout: Double?

    /// How long one probe may take (connect, send and the reply): `--health-timeout`, or the
    /// interval at most 2 s. Probes of one upstream never overlap: the next wait starts when a
    /// probe ends, so a timeout above the interval stretches the cadence instead.
    var probeTimeout: Duration { .milliseconds(Int(((timeout ?? min(interval, 2)) * 1000).rounded(.up))) }
}

/// C escapes in `--health-send` / `--health-expect`: `\n \r \t \0 \\ \" \' \a \b \f \v \e`
/// and `\xHH` (one byte); any other text is taken as its UTF-8 bytes.
enum CEscapes {
    /// The bytes `text` stands for; throws a message naming the bad escape.
    static func decode(_ text: String) throws(EscapeError) -> [UInt8] {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var index = 0
        while index < input.count {
            let byte = input[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                continue
            }
            guard index < input.count else { throw EscapeError(message: "a lone backslash at the end") }
            let code = input[index]
            index += 1
            switch code {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "0"): bytes.append(0x00)
            case UInt8(ascii: "a"): bytes.append(0x07)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "v"): bytes.append(0x0B)
            case UInt8(ascii: "e"): bytes.append(0x1B)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): bytes.append(code)
            case UInt8(ascii: "x"):
                guard index + 1 < input.count, let high = hexValue(input[index]), let low = hexValue(input[index + 1]) else {
                    throw EscapeError(message: "\\x needs two hex digits")
                }
                bytes.append(high << 4 | low)
                index += 2
            default:
                throw EscapeError(message: "unknown escape \\\(Character(Unicode.Scalar(code)))")
            }
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Why an escaped string could not be decoded.
    struct EscapeError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
