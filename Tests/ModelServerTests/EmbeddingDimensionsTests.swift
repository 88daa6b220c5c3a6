import Foundation
import HummingbirdTesting
import Testing
@preconcurrency import ModelServer

/// `dimensions` on /v1/embeddings: honoured (prefix, then renormalised) only for models that
/// declare Matryoshka support, a 400 naming the allowed widths otherwise.
@Suite struct EmbeddingDimensionsTests {
    /// The expected vector, computed here in Double from the double's raw vector: first d
    /// components, then unit length.
    static func expected(_ text: String, _ d: Int) -> [Double] {
        let prefix = FakeEmbedder.vector(text).prefix(d).map(Double.init)
        let norm = prefix.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return prefix.map { $0 / norm }
    }

    static func close(_ a: [Double]?, _ b: [Double]) -> Bool {
        guard let a, a.count == b.count else { return false }
        return zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 }
    }

    func post(_ client: some TestClientProtocol, _ object: [String: Any]) async throws -> TestResponse {
        try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(object))
    }

    @Test func matryoshkaModelShortensAndRenormalisesInFloatAndBase64() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let f = json(try await post(client, ["model": "embed-mrl", "input": ["ab", "xyz"], "dimensions": 2]))
            let data = f["data"] as? [[String: Any]] ?? []
            #expect(data.count == 2)
            #expect(Self.close(data.first?["embedding"] as? [Double], Self.expected("ab", 2)))
            #expect(Self.close(data.last?["embedding"] as? [Double], Self.expected("xyz", 2)))
            // Usage counts the input tokens, whatever the output width.
            #expect((f["usage"] as? [String: Int])?["prompt_tokens"] == 5)
            let b = json(try await post(client, ["model": "embed-mrl", "input": "ab", "dimensions": 2, "encoding_format": "base64"]))
            let encoded = ((b["data"] as? [[String: Any]])?.first?["embedding"] as? String).flatMap { Data(base64Encoded: $0) }
            #expect(Self.close(encoded.map(littleEndianFloats)?.map(Double.init), Self.expected("ab", 2)))
            // The full width is always allowed and gives the model's own vector.
            let full = json(try await post(client, ["model": "embed-mrl", "input": "ab", "dimensions": 4]))
            #expect(Self.close((full["data"] as? [[String: Any]])?.first?["embedding"] as? [Double], Self.expected("ab", 4)))
        }
    }

    @Test func matryoshkaModelRefusesWidthsOutsideItsList() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            for d in [3, 0, -1, 5] {
                let r = try await post(client, ["model": "embed-mrl", "input": "ab", "dimensions": d])
                #expect(r.status == .badRequest)
                let e = errorOf(r)
                #expect(e["param"] as? String == "dimensions")
                #expect(e["type"] as? String == "invalid_request_error")
                #expect((e["message"] as? String)?.contains("2, 4") == true, "names the allowed widths: \(e)")
                #expect((e["message"] as? String)?.contains("embed-mrl") == true)
            }
        }
    }

    @Test func anyWidthMatryoshkaModelTakesOneToItsWidth() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let ok = json(try await post(client, ["model": "embed-mrl-any", "input": "ab", "dimensions": 3]))
            #expect(Self.close((ok["data"] as? [[String: Any]])?.first?["embedding"] as? [Double], Self.expected("ab", 3)))
            for d in [0, 5] {
                let r = try await post(client, ["model": "embed-mrl-any", "input": "ab", "dimensions": d])
                #expect(r.status == .badRequest)
                #expect(errorOf(r)["param"] as? String == "dimensions")
                #expect((errorOf(r)["message"] as? String)?.contains("from 1 to 4") == true)
            }
        }
    }

    @Test func modelWithoutMatryoshkaRefusesOtherWidths() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let r = try await post(client, ["model": "embed", "input": "ab", "dimensions": 2])
            #expect(r.status == .badRequest)
            let e = errorOf(r)
            #expect(e["param"] as? String == "dimensions")
            let message = e["message"] as? String ?? ""
            #expect(message.contains("'embed'") && message.contains("4-dimensional") && message.contains("not trained to be shortened"))
            let same = try await post(client, ["model": "embed", "input": "ab", "dimensions": 4])
            #expect(same.status == .ok)
        }
    }
}
