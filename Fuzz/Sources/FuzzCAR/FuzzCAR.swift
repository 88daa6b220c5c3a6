// libFuzzer target: CAR v1 reader (header, block sections) and import into a memory store.
import FuzzSupport
import BlockStore
import Multiformats
import UnixFS

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let reader = CARReader(bytes: bytes)
    do {
        _ = try reader.readHeader()
        var n = 0
        while n < 10_000, try reader.nextBlock() != nil { n += 1 }
    } catch {}
    _ = try? importCAR(CARReader(bytes: bytes), into: MemoryBlockStore())
    return 0
}

// SwiftPM links an executable's entry point as `FuzzCAR_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzCAR_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
