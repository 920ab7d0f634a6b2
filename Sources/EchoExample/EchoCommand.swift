import ArgumentParser

/// `EchoExample`: an echo server on the EventLoop library (`serve`, the default).
@main
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "EchoExample",
        abstract: "An echo server on the EventLoop library.",
        subcommands: [ServeCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
