// libFuzzer target: OpenAI-style request bodies (chat completions, completions, embeddings).
import FuzzSupport
import Foundation
import ModelServer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The bytes of a request body, as the routes hand them to the parsers.
    let body = Data(bytes: data, count: size)
    _ = try? GenerationRequest.parse(body, chat: true)
    _ = try? GenerationRequest.parse(body, chat: false)
    _ = try? EmbeddingRequest.parse(body)
    return 0
}

// SwiftPM links an executable's entry point as `FuzzOpenAIRequest_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzOpenAIRequest_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
