extension Reactor {
    /// Sets SIGPIPE to "ignore" for the whole process: an opt-in for applications, which the
    /// library never calls and never needs.
    ///
    /// The library does not change the process's SIGPIPE disposition. Its sends (`send`,
    /// `sendmsg`, `sendmmsg`) pass MSG_NOSIGNAL, and splice(2) into a socket, which cannot, runs
    /// on reactor threads, which block SIGPIPE and discard it: a peer that went away is a
    /// ``NetError`` (EPIPE or ECONNRESET), never a signal. Call this when the application's own
    /// code writes with write(2)/writev(2) to sockets or pipes that may close (standard output
    /// into a closed pipe, say) and should get EPIPE rather than end the process.
    ///
    /// Thread safety: any thread; affects every thread of the process.
    public static func ignoreSIGPIPE() {
        Syscall.ignoreSIGPIPE()
    }
}
