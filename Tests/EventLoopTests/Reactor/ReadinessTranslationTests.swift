@testable import EventLoop
import CEventLoop
import Testing

/// The translation between epoll's bits and ``Readiness`` (System/Readiness+Epoll.swift).
@Suite struct ReadinessTranslationTests {
    @Test func eachEpollBitMapsToItsReadiness() {
        #expect(Readiness(epollEvents: UInt32(EPOLLIN.rawValue)) == .readable)
        #expect(Readiness(epollEvents: UInt32(EPOLLOUT.rawValue)) == .writable)
        #expect(Readiness(epollEvents: UInt32(EPOLLRDHUP.rawValue)) == .peerClosed)
        #expect(Readiness(epollEvents: UInt32(EPOLLHUP.rawValue)) == .hangUp)
        #expect(Readiness(epollEvents: UInt32(EPOLLERR.rawValue)) == .error)
        #expect(Readiness(epollEvents: 0) == [])
        let all = UInt32(EPOLLIN.rawValue) | UInt32(EPOLLOUT.rawValue) | UInt32(EPOLLRDHUP.rawValue)
            | UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue) | UInt32(EPOLLPRI.rawValue)
        #expect(Readiness(epollEvents: all) == [.readable, .writable, .peerClosed, .hangUp, .error])
    }

    @Test func interestMapsToEpollBits() {
        let stream: Readiness = [.readable, .writable, .peerClosed, .edgeTriggered]
        #expect(stream.epollEvents == UInt32(EPOLLIN.rawValue) | UInt32(EPOLLOUT.rawValue)
            | UInt32(EPOLLRDHUP.rawValue) | UInt32(EPOLLET.rawValue))
        #expect(Readiness.readable.epollEvents == UInt32(EPOLLIN.rawValue))
        #expect(Readiness([]).epollEvents == 0)
    }

    @Test func readableAndWritableRoundTrip() {
        for interest in [Readiness.readable, .writable, .peerClosed, [.readable, .writable]] as [Readiness] {
            #expect(Readiness(epollEvents: interest.epollEvents) == interest)
        }
    }
}
