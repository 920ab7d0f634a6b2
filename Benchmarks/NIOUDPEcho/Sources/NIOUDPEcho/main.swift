// NIOUDPEcho: UDP echo on SwiftNIO in the style of swift-nio's NIOUDPEchoServer example: a
// DatagramBootstrap whose handler writes every AddressedEnvelope straight back to its sender
// and flushes once per read burst (NIO then sends the pending datagrams with sendmmsg), with
// vector reads on (ChannelOptions.datagramVectorReadMessageCount: recvmmsg of N datagrams into
// one buffer of N fixed slots). One SO_REUSEPORT socket per event loop, all on one port.
//
//   NIOUDPEcho [--host 127.0.0.1] [--port 9999] [--threads 1] [--vector-reads 32] [--max-datagram 2048]
//
// It prints `listening on udp HOST:PORT ...` once bound. Loopback use only.
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Writes every datagram back to its sender; flushes once per read burst.
final class UDPEchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // One socket serves every client: a non-fatal error must not close it.
    }
}

func fail(_ message: String) -> Never {
    var text = "NIOUDPEcho: \(message)\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(64)
}

var host = "127.0.0.1"
var port = 9999
var threads = 1
var vectorReads = 32
var maxDatagram = 2048
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard let value = arguments.next() else { fail("\(flag) needs a value") }
    switch flag {
    case "--host": host = value
    case "--port": port = Int(value) ?? port
    case "--threads": threads = max(1, Int(value) ?? 1)
    case "--vector-reads": vectorReads = max(0, Int(value) ?? 32)
    case "--max-datagram": maxDatagram = max(1, Int(value) ?? 2048)
    default: fail("unknown option \(flag)")
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
var bindAddress = try SocketAddress.makeAddressResolvingHost(host, port: port)
var channels: [any Channel] = []
for loop in group.makeIterator() {
    var bootstrap = DatagramBootstrap(group: loop)
        .channelOption(.socketOption(.so_reuseaddr), value: 1)
        .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPEchoHandler()) }
        }
    if vectorReads > 0 {
        bootstrap = bootstrap.channelOption(.datagramVectorReadMessageCount, value: vectorReads)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: vectorReads * maxDatagram))
    } else {
        bootstrap = bootstrap.channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maxDatagram))
    }
    let channel = try bootstrap.bind(to: bindAddress).wait()
    if channels.isEmpty, let bound = channel.localAddress { bindAddress = bound }
    channels.append(channel)
}
print("listening on udp \(bindAddress) threads=\(threads) vector_reads=\(vectorReads) max_datagram=\(maxDatagram)")
fflush(nil)
try channels[0].closeFuture.wait()
try group.syncShutdownGracefully()
