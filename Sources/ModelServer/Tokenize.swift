import Foundation
import Hummingbird
import Inference
import HTTPSupport
import NIOCore

/// /tokenize and /detokenize in both shapes clients send: llama.cpp's server (`content`,
/// `add_special`, `with_pieces`; `tokens` back) and vLLM's (`model` with `prompt` or `messages`;
/// `count`, `max_model_len`, `tokens` back; `/detokenize` answers `prompt`).
extension ModelServer {
    func tokenize(_ body: ByteBuffer, caller: Caller) async throws(APIError) -> Response {
        let keyed = try JSON.decode(Keyed<TokenizeBody>.self, from: Data(body.readableBytesView))
        let b = keyed.value
        try Fields.only(keyed.keys, ["model", "content", "prompt", "messages", "add_special", "add_special_tokens", "with_pieces",
                                     "add_generation_prompt", "return_token_strs"])
        let (name, lm) = try await tokenizerModel(b.model)
        let tok = lm.tokenizer
        var ids: [Int]
        // Which shape: by the keys sent, a `null` included.
        if keyed.keys.contains("messages") {
            var req = GenerationRequest(model: name, chat: true)
            (req.messages, req.messageValues) = try GenerationRequest.parseChatMessages(b.messages, present: true)
            var r = req
            r.tools = nil
            let text = try ChatPrompt.render(r, model: lm, addGenerationPrompt: try b.addGenerationPrompt.bool("add_generation_prompt") ?? true).text
            ids = tok.encode(text, addSpecialTokens: try b.addSpecialTokens.bool("add_special_tokens") ?? false)
        } else {
            let llamaShape = keyed.keys.contains("content")
            let key = llamaShape ? "content" : "prompt"
            let text = try (llamaShape ? b.content : b.prompt).string(key) ?? ""
            guard keyed.keys.contains(key) else {
                throw APIError.invalid("Missing required parameter: 'content' (or 'prompt', or 'messages').", param: "content",
                                       code: "missing_required_parameter")
            }
            ids = tok.encode(text, addSpecialTokens: try (llamaShape ? b.addSpecial : b.addSpecialTokens).bool(llamaShape ? "add_special" : "add_special_tokens") ?? !llamaShape)
            if llamaShape {
                if try b.withPieces.bool("with_pieces") ?? false {
                    // As llama.cpp: a piece that is not whole UTF-8 on its own comes as its bytes.
                    let pieces: [TokenPieceJSON] = ids.map { id in
                        let bytes = (tok as? BPETokenizer)?.bytes(of: id) ?? Array(tok.decode([id], skipSpecialTokens: false).utf8)
                        return TokenPieceJSON(id: id, piece: String(validating: bytes, as: UTF8.self).map { .text($0) } ?? .bytes(bytes.map(Int.init)))
                    }
                    return Self.json(["tokens": pieces])
                }
                return Self.json(["tokens": ids])
            }
        }
        var body = TokenizeJSON(count: ids.count, maxModelLen: lm.contextLength, tokens: ids)
        if try b.returnTokenStrs.bool("return_token_strs") ?? false { body.tokenStrs = ids.map { tok.decode([$0], skipSpecialTokens: false) } }
        return Self.json(body)
    }

    func detokenize(_ body: ByteBuffer, caller: Caller) async throws(APIError) -> Response {
        let keyed = try JSON.decode(Keyed<DetokenizeBody>.self, from: Data(body.readableBytesView))
        try Fields.only(keyed.keys, ["model", "tokens"])
        let (_, lm) = try await tokenizerModel(keyed.value.model)
        guard case .value(let list)? = keyed.value.tokens else {
            throw APIError.invalid("'tokens' must be an array of token ids.", param: "tokens", code: "invalid_type")
        }
        var ids: [Int] = []
        for x in list {
            guard let n = x.value, n >= 0, n < lm.tokenizer.vocabularySize else {
                throw APIError.invalid("'tokens' must hold ids below the vocabulary size \(lm.tokenizer.vocabularySize).", param: "tokens")
            }
            ids.append(n)
        }
        let text = lm.tokenizer.decode(ids, skipSpecialTokens: false)
        // llama.cpp answers `content`, vLLM `prompt`: both keys, the same text.
        return Self.json(["content": text, "prompt": text])
    }

    /// The named generation model, or, when no name is given (llama.cpp's clients send none),
    /// the only generation model loaded.
    private func tokenizerModel(_ sent: Field<String>?) async throws(APIError) -> (String, any TextGenerationModel) {
        var name = sent?.value ?? ""
        if name.isEmpty {
            let loaded = await registry.loaded().compactMap { h -> String? in
                if case .generation = h.model { return h.name }
                return nil
            }
            guard loaded.count == 1 else {
                throw APIError.invalid("Name the model: \(loaded.isEmpty ? "no generation model is loaded" : "several are loaded").",
                                       param: "model", code: "missing_required_parameter")
            }
            name = loaded[0]
        }
        let handle = try await model(name)
        guard case .generation(let lm) = handle.model else {
            throw APIError.invalid("The model '\(name)' is an embedding model; /tokenize serves generation models.", param: "model",
                                   code: "wrong_model_type")
        }
        return (name, lm)
    }
}

/// vLLM's /tokenize answer.
struct TokenizeJSON: Encodable, Sendable {
    var count: Int
    var maxModelLen: Int
    var tokens: [Int]
    var tokenStrs: [String]?
    enum CodingKeys: String, CodingKey { case count, maxModelLen = "max_model_len", tokens, tokenStrs = "token_strs" }
}

/// llama.cpp's `with_pieces`: the piece's text, or its bytes when they are not whole UTF-8.
struct TokenPieceJSON: Encodable, Sendable {
    enum Piece: Encodable, Sendable {
        case text(String)
        case bytes([Int])
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .text(let s): try c.encode(s)
            case .bytes(let b): try c.encode(b)
            }
        }
    }
    var id: Int
    var piece: Piece
}
