import Testing
import Primitives

@Test func relativePathsSplitIntoSegments() throws {
    #expect(try RelativePath.segments("a") == ["a"])
    #expect(try RelativePath.segments("dir/sub/file.txt") == ["dir", "sub", "file.txt"])
    #expect(try RelativePath.segments(".gitattributes") == [".gitattributes"])
    #expect(try RelativePath.segments("a..b/...") == ["a..b", "..."])
}

@Test(arguments: [
    ("", RelativePath.Problem.empty),
    ("/etc/passwd", .absolute),
    ("/", .absolute),
    ("a/\u{0}b", .nul),
    ("..", .dotSegment),
    ("a/../b", .dotSegment),
    ("a/..", .dotSegment),
    ("./a", .dotSegment),
    ("a//b", .emptySegment),
    ("a/", .emptySegment),
])
func unsafePathsAreRefused(_ path: String, _ problem: RelativePath.Problem) {
    #expect(throws: problem) { try RelativePath.segments(path) }
}

@Test func skippingEmptySegmentsStillRefusesEscapes() throws {
    #expect(try RelativePath.segments("a//b/", emptySegments: .skip) == ["a", "b"])
    #expect(throws: RelativePath.Problem.dotSegment) { try RelativePath.segments("a//../b", emptySegments: .skip) }
    #expect(throws: RelativePath.Problem.absolute) { try RelativePath.segments("/a", emptySegments: .skip) }
    #expect(throws: RelativePath.Problem.nul) { try RelativePath.segments("a\u{0}", emptySegments: .skip) }
}

@Test func segmentNamesAreASCIIWordsWithoutDotSegments() {
    for ok in ["gpt2", "bert-base_uncased", "v1.5", "A", String(repeating: "x", count: 96)] {
        #expect(SegmentName.isValid(ok), "\(ok)")
    }
    for bad in ["", ".", "..", "a/b", "a b", "é", "a\u{0}", String(repeating: "x", count: 97)] {
        #expect(!SegmentName.isValid(bad), "\(bad)")
    }
}
