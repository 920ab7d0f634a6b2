extension Duration {
    /// The duration in seconds, as a number for messages.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
