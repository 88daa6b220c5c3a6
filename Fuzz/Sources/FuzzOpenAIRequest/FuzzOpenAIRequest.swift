// libFuzzer target: OpenAI-style request bodies (chat completions, completions, embeddings).
import FuzzSupport
import Foundation
import ModelServer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // As JSON.object(from:) reads a request body.
    guard let any = try? JSONSerialization.jsonObject(with: Data(bytes: data, count: size), options: [.fragmentsAllowed]),
          let object = any as? [String: Any] else { return 0 }
    _ = try? GenerationRequest.parse(object, chat: true)
    _ = try? GenerationRequest.parse(object, chat: false)
    _ = try? EmbeddingRequest.parse(object)
    return 0
}

// SwiftPM links an executable's entry point as `FuzzOpenAIRequest_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzOpenAIRequest_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
