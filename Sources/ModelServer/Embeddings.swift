import HTTPSupport
import Foundation
import Hummingbird
import Inference
import NIOCore

/// /v1/embeddings.
extension ModelServer {
    func embeddings(_ object: [String: JSONValue], body: ByteBuffer, caller: Caller) async throws(APIError) -> Response {
        let req = try EmbeddingRequest.parse(Data(body.readableBytesView))
        try checkBreaker(req.model)
        var cacheKey: String? = nil
        if config.enableCaching {
            switch cacheLookup(endpoint: "embeddings", model: req.model, request: object) {
            case .hit(let response): return response
            case .miss(let key): cacheKey = key
            }
        }
        let slot = try await admit(model: req.model, priority: caller.priority)
        defer { queue.release(slot) }
        let handle = try await model(req.model)
        guard case .embedding(let em) = handle.model, let embedder = handle.embedder else {
            throw APIError.invalid("The model '\(req.model)' generates text; use /v1/completions or /v1/chat/completions.",
                                   param: "model", code: "wrong_model_type")
        }
        if let d = req.dimensions { try Self.checkDimensions(d, model: req.model, em) }
        let texts: [String] = req.inputs.map {
            switch $0 {
            case .text(let t): return t
            case .tokens(let ids): return em.tokenizer.decode(ids, skipSpecialTokens: true)
            }
        }
        let tokens = texts.reduce(0) { $0 + min(em.tokenizer.encode($1, addSpecialTokens: true).count, em.maxSequenceLength) }
        let vectors: [[Float]]
        do {
            let full = try await embedder.embed(texts)
            vectors = req.dimensions.map { d in full.map { em.shortened($0, to: d) } } ?? full
        } catch is CancellationError {
            throw APIError(status: .init(code: 499, reasonPhrase: "Client Closed Request"), message: "The request was cancelled.",
                           type: "invalid_request_error", code: "cancelled")
        } catch {
            recordOutcome(model: req.model, success: false, errorType: "inference_failed")
            throw APIError.server("Embedding failed: \(error)", code: "inference_failed")
        }
        recordOutcome(model: req.model, success: true)
        metrics.count("hf_server_prompt_tokens_total", ["model": req.model], by: tokens)
        let data = vectors.enumerated().map { i, v in
            EmbeddingsResponse.Item(index: i, embedding: req.base64 ? .base64(Self.base64(v)) : .floats(v))
        }
        let encoded = JSON.encode(EmbeddingsResponse(data: data, model: req.model, usage: .init(promptTokens: tokens, totalTokens: tokens)))
        if let cacheKey { cache.put(cacheKey, encoded) }
        return Self.jsonResponse(encoded)
    }

    /// `dimensions` is honoured only where the model was trained for shortening (Matryoshka), as in
    /// vLLM: a prefix of any other model's vector is a poor embedding, so it is refused rather than
    /// silently degraded. The full width is always allowed, since it changes nothing.
    static func checkDimensions(_ d: Int, model: String, _ em: any EmbeddingModel) throws(APIError) {
        let width = em.dimensions
        guard d != width else { return }
        switch em.matryoshkaDimensions {
        case nil:
            throw APIError.invalid("The model '\(model)' gives \(width)-dimensional vectors and was not trained to be shortened "
                                   + "(its config declares no Matryoshka dimensions); omit 'dimensions' or pass \(width).",
                                   param: "dimensions")
        case .any? where !(1...width).contains(d):
            throw APIError.invalid("The model '\(model)' gives \(width)-dimensional vectors; 'dimensions' must be from 1 to \(width), got \(d).",
                                   param: "dimensions")
        case .only(let dims)? where !dims.contains(d):
            let allowed = Set(dims + [width]).sorted().map(String.init).joined(separator: ", ")
            throw APIError.invalid("The model '\(model)' can give only these Matryoshka dimensions: \(allowed); got \(d).",
                                   param: "dimensions")
        default:
            return
        }
    }

    /// Little-endian float32 bytes in base64, as OpenAI sends them.
    static func base64(_ v: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(v.count * 4)
        for f in v { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return Data(bytes).base64EncodedString()
    }
}

struct EmbeddingsResponse: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        var object = "embedding"
        var index: Int
        var embedding: Vector
    }

    enum Vector: Encodable, Sendable {
        case floats([Float])
        case base64(String)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            // Each Float widened to Double: the shortest decimal of that Double reads back as the
            // same Float, which a Float's own shortest decimal, read as a Double first, may not.
            case .floats(let v): try c.encode(v.map(Double.init))
            case .base64(let s): try c.encode(s)
            }
        }
    }

    struct EmbeddingUsage: Encodable, Sendable {
        var promptTokens: Int
        var totalTokens: Int
        enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }
    }

    var object = "list"
    var data: [Item]
    var model: String
    var usage: EmbeddingUsage
}
