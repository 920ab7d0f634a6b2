import Foundation
import Testing

/// README.md's "Using the library" shows `ReadmeExample.swift`'s code word for word (the
/// `import EventLoop` line, a blank line, then the lines between the file's README markers): an
/// edit to one without the other fails here, and the file failing to compile fails the build.
@Test func readmeShowsTheCompiledExampleVerbatim() throws {
    let here = URL(fileURLWithPath: #filePath)
    let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(contentsOf: here.deletingLastPathComponent().appendingPathComponent("ReadmeExample.swift"), encoding: .utf8)
    let begin = try #require(source.range(of: "// README begin\n"))
    let end = try #require(source.range(of: "// README end\n"))
    let code = source[begin.upperBound..<end.lowerBound]
    #expect(code.contains("Listener.listen"), "the markers must enclose the example")
    let section = try #require(readme.range(of: "## Using the library\n"))
    #expect(readme[section.upperBound...].contains("```swift\nimport EventLoop\n\n" + code + "```\n"),
            "README.md's \"Using the library\" example differs from Tests/EventLoopTests/ReadmeExample.swift")
}
