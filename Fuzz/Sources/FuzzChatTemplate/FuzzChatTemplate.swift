// libFuzzer target: Jinja chat templates (lexer, parser, interpreter) rendered with a small fixed
// conversation, as `apply_chat_template` would.
import FuzzSupport
import Foundation
import Inference

private let messages = [
    ChatMessage(role: "system", content: "You are helpful."),
    ChatMessage(role: "user", content: "Hi <b>there</b> {{ x }}"),
    ChatMessage(role: "assistant", content: "Hello!"),
    ChatMessage(role: "user", content: "2+2?"),
]
private let tools: [JinjaValue] = [.dict(JinjaDict([("type", .string("function")), ("name", .string("add"))]))]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let renderer = try? ChatTemplateRenderer(template: source, bosToken: "<s>", eosToken: "</s>",
                                                   now: { Date(timeIntervalSince1970: 1_700_000_000) }) else { return 0 }
    _ = try? renderer.render(messages: messages, addGenerationPrompt: true)
    _ = try? renderer.render(messages: Array(messages.prefix(2)), addGenerationPrompt: false, tools: tools)
    return 0
}

// SwiftPM links an executable's entry point as `FuzzChatTemplate_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzChatTemplate_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
