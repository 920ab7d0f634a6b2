import Glibc

/// Symbolic names and texts for errno values, for error messages.
enum Errno {
    /// `ECONNREFUSED` for 111, or `errno 999` for a value without a known name.
    static func name(_ value: Int32) -> String {
        switch value {
        case EPERM: return "EPERM"
        case ENOENT: return "ENOENT"
        case EINTR: return "EINTR"
        case EIO: return "EIO"
        case EBADF: return "EBADF"
        case EAGAIN: return "EAGAIN"
        case ENOMEM: return "ENOMEM"
        case EACCES: return "EACCES"
        case EFAULT: return "EFAULT"
        case EEXIST: return "EEXIST"
        case ENODEV: return "ENODEV"
        case ENOTDIR: return "ENOTDIR"
        case EINVAL: return "EINVAL"
        case ENFILE: return "ENFILE"
        case EMFILE: return "EMFILE"
        case ENOSPC: return "ENOSPC"
        case EPIPE: return "EPIPE"
        case ENAMETOOLONG: return "ENAMETOOLONG"
        case ENOTSOCK: return "ENOTSOCK"
        case EDESTADDRREQ: return "EDESTADDRREQ"
        case EMSGSIZE: return "EMSGSIZE"
        case EPROTOTYPE: return "EPROTOTYPE"
        case ENOPROTOOPT: return "ENOPROTOOPT"
        case EPROTONOSUPPORT: return "EPROTONOSUPPORT"
        case EOPNOTSUPP: return "EOPNOTSUPP"
        case EAFNOSUPPORT: return "EAFNOSUPPORT"
        case EADDRINUSE: return "EADDRINUSE"
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL"
        case ENETDOWN: return "ENETDOWN"
        case ENETUNREACH: return "ENETUNREACH"
        case ECONNABORTED: return "ECONNABORTED"
        case ECONNRESET: return "ECONNRESET"
        case ENOBUFS: return "ENOBUFS"
        case EISCONN: return "EISCONN"
        case ENOTCONN: return "ENOTCONN"
        case ETIMEDOUT: return "ETIMEDOUT"
        case ECONNREFUSED: return "ECONNREFUSED"
        case EHOSTUNREACH: return "EHOSTUNREACH"
        case EALREADY: return "EALREADY"
        case EINPROGRESS: return "EINPROGRESS"
        case ECANCELED: return "ECANCELED"
        default: return "errno \(value)"
        }
    }

    /// The C library's text for the errno (`strerror`): `Connection refused`.
    static func text(_ value: Int32) -> String {
        guard let cString = strerror(value) else { return "unknown error" }
        return String(cString: cString)
    }

    /// The text as Go prints an errno: the C library's with a lower-case first letter
    /// (`connection refused`, `connection reset by peer`, `too many open files`).
    static func message(_ value: Int32) -> String {
        let text = self.text(value)
        guard let first = text.first, first.isUppercase else { return text }
        return first.lowercased() + text.dropFirst()
    }

    /// True for the errnos with which the kernel gives up an established TCP connection whose
    /// peer stopped answering (keepalive probes or sent data unacknowledged past the user
    /// timeout or the retransmission limit): ETIMEDOUT, or the ICMP error seen before it.
    static func meansGivenUp(_ value: Int32) -> Bool {
        value == ETIMEDOUT || value == EHOSTUNREACH || value == ENETUNREACH
    }
}
