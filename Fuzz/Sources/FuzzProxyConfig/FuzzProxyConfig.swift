/// Feeds arbitrary bytes to the proxy example's config-file parser and its CIDR parser.
///
/// The config file: parsing either throws `ConfigError` or returns entries with known keys,
/// line numbers that rise and stay inside the text, and values without control characters.
/// CIDR (the whole input, and every `allow`/`deny` value): either an error or a network that
/// prints in a form parsing back to the same network, and that contains its own address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    checkCIDR(text)
    guard let file = try? ConfigFile.parse(text, knownKeys: knownKeys) else { return 0 }
    let lines = text.utf8.count(where: { $0 == UInt8(ascii: "\n") }) + 1
    var previous = 0
    for entry in file.entries {
        precondition(knownKeys.contains(entry.key), "unknown key \(entry.key.debugDescription) accepted")
        precondition(entry.line > previous && entry.line <= lines, "line \(entry.line) after \(previous) of \(lines)")
        precondition(!entry.value.utf8.contains { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F },
                     "control character in \(entry.value.debugDescription)")
        previous = entry.line
        if entry.key == "allow" || entry.key == "deny" { checkCIDR(entry.value) }
    }
    return 0
}

private let knownKeys: Set<String> = ["listen", "upstream", "allow", "deny", "max-conns-per-ip"]

private func checkCIDR(_ text: String) {
    guard let network = try? CIDR(text) else { return }
    let printed = network.description
    guard let again = try? CIDR(printed) else { preconditionFailure("\(text.debugDescription) printed as \(printed), which does not parse") }
    precondition(again == network, "\(printed) parsed back as \(again)")
    precondition(network.contains(network.network), "\(printed) does not contain its own address")
}
