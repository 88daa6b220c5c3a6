// libFuzzer target: the ndjson commit body (streaming base64 `content`, line skeletons as JSON).
// The first input byte picks the size of the pieces the body is fed in, as network chunks arrive.
import FuzzSupport
import BlockStore
import Foundation
import Hub

private let tmp = URL(fileURLWithPath: scratchPath("commit"))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let chunk = Int(data[0]) + 1
    guard let store = try? ContentStore(blocks: MemoryBlockStore(), tmpDirectory: tmp) else { return 0 }
    var parser = CommitStreamParser(store: store)
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    do {
        var off = 0
        while off < body.count {
            let end = min(off + chunk, body.count)
            try parser.feed(UnsafeRawBufferPointer(rebasing: body[off..<end]))
            off = end
        }
        try parser.finish()
    } catch {}
    _ = parser.lines.count
    return 0
}

// SwiftPM links an executable's entry point as `FuzzCommitStream_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzCommitStream_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
