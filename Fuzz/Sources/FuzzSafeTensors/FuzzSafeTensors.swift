// libFuzzer target: safetensors header (length prefix, JSON table, offsets). The loader maps a
// file, so each input is written to a file in /dev/shm first.
import FuzzSupport
import Foundation
import Inference

private let path = scratchPath("st") + ".safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    if let file = try? SafeTensorsFile(path: path) {
        for (name, info) in file.tensors where info.shape.reduce(1, *) <= 1 << 16 {
            _ = try? file.floats(name)
        }
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzSafeTensors_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzSafeTensors_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
