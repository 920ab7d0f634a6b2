import ArgumentParser
import EventLoop

/// `EchoExample`: an echo server on the EventLoop library (`serve`, the default) and a load
/// client to measure it (`bench`).
@main
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "EchoExample",
        abstract: "An echo server on the EventLoop library, and a load client to measure it.",
        version: EventLoopVersion.current.description,
        subcommands: [ServeCommand.self, BenchCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
