import Testing
import GitSmartHTTP

@Suite struct PktLineTests {
    @Test func encodesPerSpec() {
        // Lengths include the four digits themselves.
        #expect(PktLine.text("a").bytes == Array("0006a\n".utf8))
        #expect(PktLine.data([]).bytes == Array("0004".utf8))
        #expect(PktLine.flush.bytes == Array("0000".utf8))
        #expect(PktLine.delimiter.bytes == Array("0001".utf8))
        #expect(PktLine.responseEnd.bytes == Array("0002".utf8))
        #expect(PktLine.data([UInt8](repeating: 0x61, count: 0xFFF0 - 4)).bytes.prefix(4).elementsEqual("fff0".utf8))
    }

    @Test func decodesSequence() throws {
        var w = PktLineWriter()
        w.text("command=ls-refs"); w.delimiter(); w.text("peel"); w.flush(); w.responseEnd()
        var r = PktLineReader(w.bytes + [9, 9])
        #expect(try r.next() == .text("command=ls-refs"))
        #expect(try r.next() == .delimiter)
        #expect(try r.next()?.text == "peel")
        #expect(try r.next() == .flush)
        #expect(try r.next() == .responseEnd)
        #expect(Array(r.remainder) == [9, 9])
    }

    @Test func rejectsBadFraming() {
        var r1 = PktLineReader(Array("00zz".utf8))
        #expect(throws: PktLineError.invalidLength("00zz")) { try r1.next() }
        var r2 = PktLineReader(Array("0003".utf8))
        #expect(throws: PktLineError.invalidLength("0003")) { try r2.next() }
        var r3 = PktLineReader(Array("0010abc".utf8))
        #expect(throws: PktLineError.truncated) { try r3.next() }
        var r4 = PktLineReader(Array("00".utf8))
        #expect(throws: PktLineError.truncated) { try r4.next() }
        var r5 = PktLineReader(Array("fff1".utf8) + [UInt8](repeating: 0, count: 0xfff1))
        #expect(throws: PktLineError.invalidLength("fff1")) { try r5.next() }
    }

    @Test func sideBandSplitsLargePayloads() throws {
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        var r = PktLineReader(SideBand.frame(payload, band: .data))
        var joined: [UInt8] = []
        var packets = 0
        while let p = try r.next() {
            guard case .data(let d) = p else { Issue.record("unexpected marker"); break }
            #expect(d.first == 1)
            #expect(d.count <= 65516)
            joined += d.dropFirst()
            packets += 1
        }
        #expect(joined == payload)
        #expect(packets == 4)  // 3 full 65515-byte chunks + remainder
    }

    @Test func protocolVersionHeader() {
        #expect(gitProtocolVersion(nil) == 0)
        #expect(gitProtocolVersion("version=2") == 2)
        #expect(gitProtocolVersion("object-format=sha1:version=2") == 2)
        #expect(gitProtocolVersion("version=1") == 1)
    }

    @Test func endpointSplitting() {
        #expect(GitEndpoint.split(path: "/ns/model.git/info/refs")! == ("/ns/model", .infoRefs))
        #expect(GitEndpoint.split(path: "/datasets/ns/d/git-upload-pack")! == ("/datasets/ns/d", .uploadPack))
        #expect(GitEndpoint.split(path: "/ns/model/resolve/main/x") == nil)
        #expect(isValidRefName("refs/heads/main"))
        #expect(!isValidRefName("refs/heads/../x"))
        #expect(!isValidRefName("refs/heads/a b"))
        #expect(!isValidRefName("HEAD"))
    }

    @Test func filterSpecs() {
        #expect(ObjectWalk.ObjectFilter(spec: "blob:none") == .noBlobs)
        #expect(ObjectWalk.ObjectFilter(spec: "blob:limit=10") == .blobLimit(10))
        #expect(ObjectWalk.ObjectFilter(spec: "blob:limit=2k") == .blobLimit(2048))
        #expect(ObjectWalk.ObjectFilter(spec: "blob:limit=1m") == .blobLimit(1 << 20))
        #expect(ObjectWalk.ObjectFilter(spec: "tree:0") == nil)
        #expect(ObjectWalk.ObjectFilter(spec: "blob:limit=x") == nil)
    }
}
