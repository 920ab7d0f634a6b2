/// `text` as a quoted, escaped literal for an error message, cut to `limit` Unicode scalars
/// (with `…` when cut) so a message stays short whatever the input. O(limit).
func quoted(_ text: some StringProtocol, limit: Int = 60) -> String {
    let scalars = text.unicodeScalars
    var cut = String.UnicodeScalarView()
    var count = 0
    var truncated = false
    for scalar in scalars {
        if count == limit { truncated = true; break }
        cut.append(scalar)
        count += 1
    }
    let literal = String(cut).debugDescription
    return truncated ? literal + "…" : literal
}
