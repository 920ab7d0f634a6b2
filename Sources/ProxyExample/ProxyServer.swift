import EventLoop

/// The running proxy. (Skeleton.)
enum ProxyServer {
    static func run(_ settings: ProxySettings) async throws {}
}
