import Foundation
import Testing

/// Docs/Testing.md shows `LineProtocolExampleTests.swift` word for word (less its first line, a
/// comment): an edit to one without the other fails here.
@Test func testingDocShowsTheExampleTestVerbatim() throws {
    let here = URL(fileURLWithPath: #filePath)
    let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let doc = try String(contentsOf: root.appendingPathComponent("Docs/Testing.md"), encoding: .utf8)
    let test = try String(contentsOf: here.deletingLastPathComponent().appendingPathComponent("LineProtocolExampleTests.swift"), encoding: .utf8)
    let code = test.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)[1]
    #expect(doc.contains("```swift\n" + code + "```\n"), "the example in Docs/Testing.md differs from the test")
    #expect(code.split(separator: "\n").count < 30, "the example must stay under 30 lines")
}
