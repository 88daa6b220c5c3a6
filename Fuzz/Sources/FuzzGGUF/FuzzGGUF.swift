// libFuzzer target: GGUF header (metadata and tensor table). The loader maps a file, so each
// input is written to a file in /dev/shm first.
import FuzzSupport
import Foundation
import Inference

private let path = scratchPath("gguf") + ".gguf"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    if let file = try? GGUFFile(path: path) {
        for name in file.tensorNames { _ = try? file.data(of: name) }
        _ = try? file.string("general.architecture")
        _ = try? file.int("general.alignment")
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzGGUF_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzGGUF_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
