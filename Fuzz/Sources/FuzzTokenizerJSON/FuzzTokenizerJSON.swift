// libFuzzer target: Hugging Face tokenizer.json + tokenizer_config.json to GGUF tokenizer metadata.
// The input is tokenizer.json, optionally followed by a 0x00 byte and tokenizer_config.json.
import FuzzSupport
import Foundation
import Inference

private let folder: URL = {
    let url = URL(fileURLWithPath: scratchPath("tok"))
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0)
    let tokenizer = Data(bytes[..<(split ?? size)])
    FileManager.default.createFile(atPath: folder.appendingPathComponent("tokenizer.json").path, contents: tokenizer)
    let config = folder.appendingPathComponent("tokenizer_config.json").path
    if let split {
        FileManager.default.createFile(atPath: config, contents: Data(bytes[(split + 1)...]))
    } else {
        try? FileManager.default.removeItem(atPath: config)
    }
    var md: [String: GGUFValue] = [:]
    try? HFTokenizerJSON.addMetadata(folder: folder, to: &md)
    return 0
}

// SwiftPM links an executable's entry point as `FuzzTokenizerJSON_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzTokenizerJSON_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
