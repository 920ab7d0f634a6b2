/// Reads one PROXY protocol header off a connection at the handler level: peeks at what the
/// socket holds (MSG_PEEK, into the reactor's scratch buffer), parses it, and once a whole
/// header is there consumes exactly its bytes, so the data after it stays in the socket for
/// whatever reads next (a relay's splice included). Waits for more bytes on the socket's
/// readiness edges; gives up at the timeout, at end of stream, on a read error, on bytes that
/// are not a header, or when the connection closes. Completes exactly once.
///
/// Reactor thread only: installed on the connection (``TCPConn/headerReader``), which hands
/// it the socket's readiness and closing.
final class ProxyHeaderReader {
    private let conn: TCPConn
    private let maximumLength: Int
    private var completion: ((Result<ProxyHeader, ProxyHeaderError>) -> Void)?
    private var timer: TimerHandle?

    init(conn: TCPConn, maximumLength: Int, completion: @escaping (Result<ProxyHeader, ProxyHeaderError>) -> Void) {
        self.conn = conn
        self.maximumLength = maximumLength
        self.completion = completion
    }

    /// Installs the reader and tries the bytes already there.
    func start(timeout: Duration) {
        conn.headerReader = self
        let (seconds, attoseconds) = timeout.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        // A negative timeout fires at once; one too long to count in nanoseconds never does.
        let nanoseconds: UInt64 = seconds < 0 ? 0 : overflow ? .max : UInt64(whole) &+ UInt64(max(0, attoseconds / 1_000_000_000))
        timer = conn.reactor.schedule(afterNanoseconds: nanoseconds) { [weak self] in
            self?.timer = nil
            self?.finish(.failure(.timedOut))
        }
        readable()
    }

    /// The socket may have more bytes (or an end of stream, or an error).
    func readable() {
        guard completion != nil else { return }
        let socket = conn.socket
        guard socket.isOpen else { return finish(.failure(.readFailed(conn.closedError("read")))) }
        guard socket.readReady else { return }
        let scratch = conn.reactor.scratch
        let window = UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(scratch.count, maximumLength)])
        let peeked: IOResult<Int>
        do {
            peeked = try Syscall.peek(socket.fd, into: window, at: socket.endpoints)
        } catch {
            return finish(.failure(.readFailed(error)))
        }
        guard case .processed(let count) = peeked else {
            socket.readReady = false
            return
        }
        if count == 0 { return finish(.failure(.endOfStream(received: 0))) }
        switch ProxyHeaderParser.parse(UnsafeRawBufferPointer(rebasing: window[..<count]), maximumLength: maximumLength) {
        case .invalid(let error):
            finish(.failure(error))
        case .incomplete:
            // After a hang-up no more bytes come; otherwise the next ones bring a new edge.
            if socket.hangup { return finish(.failure(.endOfStream(received: count))) }
            socket.readReady = false
        case .complete(let header):
            consume(header)
        }
    }

    /// Takes the header's bytes (already peeked, so all there) off the socket.
    private func consume(_ header: ProxyHeader) {
        let scratch = conn.reactor.scratch
        do {
            let result = try conn.socket.readNow(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<header.length]))
            guard case .processed(let count) = result, count == header.length else {
                return finish(.failure(.endOfStream(received: 0)))
            }
        } catch {
            return finish(.failure(.readFailed(error)))
        }
        finish(.success(header))
    }

    /// The connection closed while the header was awaited.
    func connectionClosed() {
        finish(.failure(.readFailed(conn.closedError("read"))))
    }

    private func finish(_ result: Result<ProxyHeader, ProxyHeaderError>) {
        guard let completion else { return }
        self.completion = nil
        if let timer { conn.reactor.cancelTimer(timer) }
        timer = nil
        if conn.headerReader === self { conn.headerReader = nil }
        completion(result)
    }
}
