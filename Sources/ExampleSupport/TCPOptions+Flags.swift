import EventLoop

extension TCPOptions {
    /// The options of the examples' `--tcp-keepalive SECONDS` and `--tcp-user-timeout SECONDS`
    /// (0: off): keepalive probes after `keepAliveSeconds` idle, then every third of that (at
    /// least 1 s), giving up after 3 unanswered probes; the user timeout in whole milliseconds.
    /// Throws ``NetError`` `.invalidOption` naming the kernel option for a value out of range.
    public init(keepAliveSeconds: Int, userTimeoutSeconds: Double) throws(NetError) {
        var options = TCPOptions()
        if keepAliveSeconds != 0 {
            options.keepAlive = try KeepAlive(idle: .seconds(keepAliveSeconds),
                                              interval: .seconds(max(1, keepAliveSeconds / 3)), count: 3)
        }
        if userTimeoutSeconds != 0 {
            options.userTimeout = .milliseconds(Int64((userTimeoutSeconds * 1000).rounded()))
        }
        try options.validate()
        self = options
    }

    /// The effective options for a start line: `tcp-keepalive 30s/10s x3, tcp-user-timeout 2.5s`,
    /// with `off` for one not set.
    public var summary: String {
        let keepAliveText = keepAlive.map { "\($0.idle.inSeconds.compact)s/\($0.interval.inSeconds.compact)s x\($0.count)" } ?? "off"
        let userTimeoutText = userTimeout.map { "\($0.inSeconds.compact)s" } ?? "off"
        return "tcp-keepalive \(keepAliveText), tcp-user-timeout \(userTimeoutText)"
    }
}

extension Double {
    /// `2` for 2.0, `2.5` for 2.5: a number of seconds as a start line shows it.
    fileprivate var compact: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
