// libFuzzer target: the git-lfs batch request JSON (objects, sizes, transfers) and the upload plan
// the hub answers with (multipart part URLs).
import FuzzSupport
import Foundation
import Hub

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // As HubRequestBody.decode reads it.
    guard let body = try? JSONDecoder().decode(LFSBatchRequest.self, from: Data(bytes: data, count: size)) else { return 0 }
    guard let (objects, transfers) = try? LFSController.uploadObjects(body) else { return 0 }
    for case .upload(_, let size) in objects {
        let header = LFSController.multipartUploadHeader(href: "http://h/hub-lfs/upload/x/\(size)", query: "u=a", size: size, transfers: transfers)
        precondition(header.map { Int64($0.count - 1) == LFSController.multipartPartCount(size: size) } ?? true)
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzLFSBatch_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzLFSBatch_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
