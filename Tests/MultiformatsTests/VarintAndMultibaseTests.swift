import Testing
import Multiformats

// Expected values: the unsigned-varint spec examples, RFC 4648 section 10 test vectors, and
// the multibase spec's test vectors (basic.csv / leading_zero.csv for "yes mani !").

@Test func varintEncodesSpecExamples() {
    let cases: [(UInt64, [UInt8])] = [
        (1, [0x01]), (127, [0x7f]), (128, [0x80, 0x01]), (255, [0xff, 0x01]),
        (300, [0xac, 0x02]), (16384, [0x80, 0x80, 0x01]),
    ]
    for (value, bytes) in cases {
        #expect(Varint.encode(value) == bytes)
        #expect(Varint.encodedLength(value) == bytes.count)
        let (decoded, next) = try! Varint.decode(bytes, at: 0)
        #expect(decoded == value && next == bytes.count)
    }
}

@Test func varintRejectsTruncatedOverlongAndNonMinimal() {
    #expect(throws: MultiformatsError.varintTruncated) { try Varint.decode([0x80], at: 0) }
    #expect(throws: MultiformatsError.varintNotMinimal) { try Varint.decode([0x80, 0x00], at: 0) }
    #expect(throws: MultiformatsError.varintOverflow) {
        try Varint.decode([UInt8](repeating: 0xff, count: 10) + [0x01], at: 0)
    }
}

@Test func base32MatchesRFC4648Vectors() throws {
    let vectors = ["": "", "f": "my", "fo": "mzxq", "foo": "mzxw6", "foob": "mzxw6yq", "fooba": "mzxw6ytb", "foobar": "mzxw6ytboi"]
    for (plain, encoded) in vectors {
        #expect(Multibase.base32.encodeWithoutPrefix(Array(plain.utf8)) == encoded)
        #expect(try Multibase.base32.decodeWithoutPrefix(Substring(encoded)) == Array(plain.utf8))
        #expect(Multibase.base32Upper.encodeWithoutPrefix(Array(plain.utf8)) == encoded.uppercased())
    }
}

@Test func base64urlMatchesRFC4648Vectors() throws {
    let vectors = ["f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
    for (plain, encoded) in vectors {
        #expect(Multibase.base64url.encodeWithoutPrefix(Array(plain.utf8)) == encoded)
        #expect(try Multibase.base64url.decodeWithoutPrefix(Substring(encoded)) == Array(plain.utf8))
    }
}

@Test func multibaseMatchesSpecVectors() throws {
    let cases: [(String, [(Multibase, String)])] = [
        ("yes mani !", [(.base58btc, "z7paNL19xttacUY"), (.base36, "k2lcpzo5yikidynfl"),
                        (.base32, "bpfsxgidnmfxgsibb"), (.base64url, "ueWVzIG1hbmkgIQ")]),
        ("\0yes mani !", [(.base58btc, "z17paNL19xttacUY"), (.base36, "k02lcpzo5yikidynfl")]),
        ("\0\0yes mani !", [(.base58btc, "z117paNL19xttacUY"), (.base36, "k002lcpzo5yikidynfl")]),
    ]
    for (plain, encodings) in cases {
        for (base, text) in encodings {
            #expect(base.encode(Array(plain.utf8)) == text)
            let decoded = try Multibase.decode(text)
            #expect(decoded.base == base && decoded.bytes == Array(plain.utf8))
        }
    }
}

@Test func multibaseRejectsBadTextWithTypedErrors() {
    #expect(throws: MultiformatsError.unknownMultibasePrefix("x")) { try Multibase.decode("xabc") }
    #expect(throws: MultiformatsError.invalidCharacter("1", encoding: "base32 (lower case)")) { try Multibase.decode("bmz1a") }
    #expect(throws: MultiformatsError.invalidCharacter("0", encoding: "base58btc")) { try Multibase.decode("z10") }
    #expect(throws: MultiformatsError.invalidEncodingLength(encoding: "base32 (lower case)", length: 1)) { try Multibase.decode("bm") }
    #expect(throws: MultiformatsError.nonCanonicalEncoding(encoding: "base32 (lower case)")) { try Multibase.decode("bmzxy") }
    #expect(throws: MultiformatsError.emptyInput) { try Multibase.decode("") }
}
