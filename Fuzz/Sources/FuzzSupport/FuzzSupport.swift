import Foundation

// What every libFuzzer target shares: the driver's entry point, called from each target's
// `<Target>_main` (SwiftPM names an executable's entry point after it, so that shim stays per target).

/// Runs libFuzzer's driver over `fuzz` with the process's arguments.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                      _ fuzz: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// A per-process scratch path for targets whose parser reads a file or folder: in /dev/shm (memory)
/// when the machine has it, so millions of inputs do not wear a disk.
public func scratchPath(_ name: String) -> String {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(dir)/ipfs-fuzz-\(name)-\(getpid())"
}
