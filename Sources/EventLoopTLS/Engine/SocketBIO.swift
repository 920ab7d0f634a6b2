import COpenSSL
import EventLoop

// @unchecked Sendable: the BIO_METHOD is made once (a global's lazy, thread-safe initialiser)
// and only read afterwards.
/// The BIO type that lets OpenSSL read and write a ``StreamSocket`` directly: ciphertext goes
/// between the kernel and OpenSSL's own record buffers with no copy in between, the socket's
/// readiness tracking, counters and errors stay the core's, and `.wouldBlock` becomes
/// OpenSSL's retry (WANT_READ / WANT_WRITE).
struct SocketBIOMethod: @unchecked Sendable {
    let method: OpaquePointer

    static let shared: SocketBIOMethod = {
        let type = BIO_get_new_index() | eventloop_bio_type_source_sink()
        guard let method = BIO_meth_new(type, "eventloop-socket") else { fatalError("BIO_meth_new failed: out of memory") }
        BIO_meth_set_read_ex(method, socketBIORead)
        BIO_meth_set_write_ex(method, socketBIOWrite)
        BIO_meth_set_ctrl(method, socketBIOControl)
        BIO_meth_set_create(method) { bio in
            BIO_set_init(bio, 1)
            return 1
        }
        return SocketBIOMethod(method: method)
    }()
}

@inline(__always)
private func engine(of bio: OpaquePointer?) -> TLSEngine {
    Unmanaged<TLSEngine>.fromOpaque(BIO_get_data(bio)!).takeUnretainedValue()
}

private func socketBIORead(_ bio: OpaquePointer?, _ data: UnsafeMutablePointer<CChar>?, _ length: Int,
                           _ readBytes: UnsafeMutablePointer<Int>?) -> Int32 {
    eventloop_bio_clear_retry_flags(bio)
    let engine = engine(of: bio)
    do {
        switch try engine.socket.read(into: UnsafeMutableRawBufferPointer(start: data, count: length)) {
        case .processed(let count) where count > 0:
            readBytes?.pointee = count
            return 1
        case .processed:
            engine.sawEndOfStream = true
            return 0
        case .wouldBlock:
            eventloop_bio_set_retry_read(bio)
            return 0
        }
    } catch {
        engine.transportError = error
        return 0
    }
}

private func socketBIOWrite(_ bio: OpaquePointer?, _ data: UnsafePointer<CChar>?, _ length: Int,
                            _ written: UnsafeMutablePointer<Int>?) -> Int32 {
    eventloop_bio_clear_retry_flags(bio)
    let engine = engine(of: bio)
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    do {
        if engine.queuesWrites {
            // Handler level: what the kernel does not take now is queued in a pooled buffer.
            try engine.socket.send(bytes)
            written?.pointee = length
            return 1
        }
        switch try engine.socket.write(bytes) {
        case .processed(let count) where count > 0:
            written?.pointee = count
            return 1
        case .processed, .wouldBlock:
            eventloop_bio_set_retry_write(bio)
            return 0
        }
    } catch {
        engine.transportError = error
        return 0
    }
}

private func socketBIOControl(_ bio: OpaquePointer?, _ command: Int32, _ argument: Int, _ pointer: UnsafeMutableRawPointer?) -> Int {
    switch command {
    case BIO_CTRL_FLUSH: return 1
    case BIO_CTRL_EOF: return engine(of: bio).sawEndOfStream ? 1 : 0
    default: return 0
    }
}
