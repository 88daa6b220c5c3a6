// libFuzzer target: CID (text and binary), multibase, multihash and varint decoding.
import FuzzSupport
import Multiformats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Binary: varints, multihash and CID at every offset of the first few bytes.
    var i = 0
    while i < bytes.count, let (_, next) = try? Varint.decode(bytes, at: i) { i = next }
    _ = try? Multihash(bytes: bytes)
    if let cid = try? CID(bytes: bytes) {
        // A CID that decodes must print and re-parse to itself.
        let again = try? CID(cid.description)
        precondition(again == cid, "CID \(cid) does not round-trip through its string")
        _ = cid.toV1().string(base: .base32)
    }
    _ = try? CID.parse(bytes, at: 0)
    // Text: multibase and CID strings.
    let text = String(decoding: bytes, as: UTF8.self)
    if let (base, decoded) = try? Multibase.decode(text) {
        _ = base.encode(decoded)
    }
    if let cid = try? CID(text) { _ = cid.description }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzMultiformats_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzMultiformats_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
