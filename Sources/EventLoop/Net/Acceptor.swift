import CEventLoop
import Glibc

/// One listening socket on one reactor: accepts in bounded batches and hands each new
/// connection to its listener. Reactor thread only.
// @unchecked Sendable: passed between threads only to be handed back to its own reactor
// (`reactor.execute { acceptor.… }`); its mutable state is touched on that thread alone.
final class Acceptor: ReactorIOHandler, @unchecked Sendable {
    /// Connections accepted at most per readiness event before yielding to other sockets.
    static let maxAcceptsPerEvent = 64
    /// Pause after EMFILE/ENFILE/ENOBUFS/ENOMEM before accepting again (no spinning).
    static let resourceBackoffNanoseconds: UInt64 = 50_000_000

    let reactor: Reactor
    let address: SocketAddress
    /// Strong until this acceptor closes (the listener keeps its acceptors until then too).
    var listener: Listener?
    var fd: Int32
    var token: UInt64 = 0
    var ready = true
    var paused = false
    var backingOff = false
    var redispatchQueued = false
    /// Accept failures for lack of descriptors or memory (the server logs and counts them).
    var resourceFailures = 0

    init(fd: Int32, address: SocketAddress, reactor: Reactor, listener: Listener) throws(NetError) {
        self.fd = fd
        self.address = address
        self.reactor = reactor
        self.listener = listener
        reactor.socketOpened()
        do {
            token = try reactor.register(fd: fd, events: UInt32(EPOLLIN.rawValue), handler: self)
        } catch {
            reactor.closeSocket(fd)
            self.fd = -1
            throw error
        }
    }

    func handleEvents(_ events: UInt32) {
        redispatchQueued = false
        ready = true
        acceptBatch()
    }

    func reactorStopped() { close() }

    /// Starts accepting again after the listener's queue had room again.
    func resume() {
        guard paused else { return }
        paused = false
        acceptBatch()
    }

    private func acceptBatch() {
        var accepted = 0
        while fd >= 0, ready, !paused, !backingOff {
            if accepted == Acceptor.maxAcceptsPerEvent {
                if !redispatchQueued {
                    redispatchQueued = true
                    reactor.dispatchAgainNextPass(token: token, events: UInt32(EPOLLIN.rawValue))
                }
                return
            }
            do {
                switch try Syscall.accept(fd, listening: address) {
                case .wouldBlock:
                    ready = false
                case .processed(let (client, peer)):
                    accepted += 1
                    reactor.socketOpened()
                    guard listener != nil else {
                        reactor.closeSocket(client)
                        continue
                    }
                    if listener?.deliver(fd: client, peer: peer, from: self) == false { paused = true }
                }
            } catch {
                handleAcceptError(error)
            }
        }
    }

    private func handleAcceptError(_ error: NetError) {
        switch error.errno {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            // Out of descriptors: the pending connection stays in the backlog. Wait, then retry,
            // rather than spin on a level that stays readable.
            resourceFailures += 1
            listener?.noteResourceFailure(error)
            backingOff = true
            reactor.schedule(afterNanoseconds: Acceptor.resourceBackoffNanoseconds) { [self] in
                backingOff = false
                ready = true
                acceptBatch()
            }
        default:
            // ECONNABORTED, EPROTO, EPERM (firewall) and the like concern one connection only.
            break
        }
    }

    func close() {
        guard fd >= 0 else { return }
        reactor.release(token: token)
        reactor.closeSocket(fd)
        fd = -1
        let owner = listener
        listener = nil
        owner?.acceptorClosed(self)
    }
}
