// libFuzzer target: dag-pb node and UnixFS Data decoding, and link extraction.
import FuzzSupport
import Multiformats
import UnixFS

private let dagPBCID = CID.hashing([], codec: .dagPB, version: .v1)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let node = try? PBNode(decoding: bytes) {
        // What decodes must re-encode to bytes that decode to the same node.
        let again = try? PBNode(decoding: node.encode())
        precondition(again == node, "dag-pb node does not round-trip")
        if let d = node.data { _ = try? UnixFSData(decoding: d) }
    }
    _ = try? UnixFSData(decoding: bytes)
    _ = try? DagLinks.links(of: dagPBCID, block: bytes)
    return 0
}

// SwiftPM links an executable's entry point as `FuzzDagPB_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzDagPB_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
