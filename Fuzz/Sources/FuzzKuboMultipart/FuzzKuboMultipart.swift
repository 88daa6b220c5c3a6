// libFuzzer target: the Kubo RPC multipart/form-data body (add, block/put, dag/import).
// Input: the Content-Type header value, a newline, then the body; the body is spooled to a file
// in /dev/shm as the route spools it.
import FuzzSupport
import Foundation
import KuboRPC

private let path = scratchPath("mp") + ".body"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let nl = bytes.firstIndex(of: 10) ?? size
    let contentType = String(decoding: bytes[..<nl], as: UTF8.self)
    guard let boundary = MultipartBody.boundary(fromContentType: contentType) else { return 0 }
    let body = nl < size ? Data(bytes[(nl + 1)...]) : Data()
    FileManager.default.createFile(atPath: path, contents: body)
    if let mp = try? MultipartBody(file: path, boundary: boundary) {
        for p in mp.parts {
            _ = p.filename
            _ = p.isDirectory
            _ = mp.bytes(p)
        }
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzKuboMultipart_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzKuboMultipart_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
