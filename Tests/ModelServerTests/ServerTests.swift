import Foundation
import Hummingbird
import NIOCore
import HummingbirdTesting
import Testing
@preconcurrency import ModelServer

/// The server on an in-process router, over the test-double models.
struct Harness {
    let server: ModelServer
    let app: Application<RouterResponder<BasicRequestContext>>
    let dir: URL

    init(_ env: [String: String] = [:], embed: Recorder = Recorder(), gen: Recorder = Recorder(), loads: Recorder = Recorder(),
         clock: @escaping MonotonicClock = systemMonotonicClock) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = try ModelServerConfig.fromEnvironment(env)
        server = try ModelServer(config: config, source: fakeSource(embedRecorder: embed, genRecorder: gen, loads: loads),
                                 keysDatabase: dir.appendingPathComponent("hub.sqlite").path, clock: clock)
        server.startPreloading()
        let router = Router()
        ModelServerRoutes(server: server).addRoutes(to: router)
        app = Application(responder: router.buildResponder())
    }
}

func body(_ object: Any) -> ByteBuffer { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object)) }
func json(_ r: TestResponse) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(r.body.readableBytesView))) as? [String: Any] ?? [:] }
func errorOf(_ r: TestResponse) -> [String: Any] { json(r)["error"] as? [String: Any] ?? [:] }
func littleEndianFloats(_ d: Data) -> [Float] {
    let bytes = [UInt8](d)
    var out: [Float] = []
    for i in stride(from: 0, to: bytes.count - 3, by: 4) {
        var bits = UInt32(bytes[i])
        bits |= UInt32(bytes[i + 1]) << 8
        bits |= UInt32(bytes[i + 2]) << 16
        bits |= UInt32(bytes[i + 3]) << 24
        out.append(Float(bitPattern: bits))
    }
    return out
}
let jsonHeaders: HTTPFields = [.contentType: "application/json"]

@Suite struct OpenAIShapeTests {
    @Test func unknownParameterIsAnOpenAIShaped400() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/completions", method: .post, headers: jsonHeaders,
                                             body: body(["model": "gen", "prompt": "hi", "frobnicate": 1]))
            #expect(r.status == .badRequest)
            let e = errorOf(r)
            #expect(e["param"] as? String == "frobnicate")
            #expect(e["type"] as? String == "invalid_request_error")
            #expect(e["code"] as? String == "unknown_parameter")
            #expect(e["message"] is String)
            for (bad, param) in [(["model": "gen", "prompt": "hi", "temperature": 3], "temperature"),
                                 (["model": "gen", "prompt": "hi", "n": "two"], "n"),
                                 (["model": "gen", "prompt": "hi", "stream_options": ["include_usage": true]], "stream_options"),
                                 (["model": "gen", "prompt": "hi", "logit_bias": ["one": 5]], "logit_bias"),
                                 (["model": "gen", "prompt": "hi", "logit_bias": ["1": 101]], "logit_bias")] as [([String: Any], String)] {
                let r = try await client.execute(uri: "/v1/completions", method: .post, headers: jsonHeaders, body: body(bad))
                #expect(r.status == .badRequest)
                #expect(errorOf(r)["param"] as? String == param)
            }
            let chat = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                                body: body(["model": "gen", "messages": [["role": "user", "content": "x"]], "tools": [["type": "retrieval"]]]))
            #expect(chat.status == .badRequest)
            #expect(errorOf(chat)["param"] as? String == "tools[0]")
            let missing = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(["model": "nope", "input": "x"]))
            #expect(missing.status == .notFound)
            #expect(errorOf(missing)["code"] as? String == "model_not_found")
        }
    }

    @Test func completionWithNChoicesCountsUsageFromTheTokenizer() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/completions", method: .post, headers: jsonHeaders,
                                             body: body(["model": "gen", "prompt": "abcd", "max_tokens": 3, "temperature": 0, "n": 2, "logprobs": 2]))
            #expect(r.status == .ok)
            let o = json(r)
            let choices = o["choices"] as? [[String: Any]] ?? []
            #expect(choices.count == 2)
            #expect(choices.first?["text"] as? String == "dcb")
            #expect(choices.first?["finish_reason"] as? String == "length")
            let lp = choices.first?["logprobs"] as? [String: Any]
            #expect((lp?["tokens"] as? [String]) == ["d", "c", "b"])
            #expect((lp?["top_logprobs"] as? [[String: Double]])?.first?.count == 2)
            let usage = o["usage"] as? [String: Int]
            #expect(usage == ["prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10])
        }
    }

    @Test func sameSeedSameOutputAndStopSequencesEndTheText() async throws {
        let h = try Harness(["HF_SERVER_ENABLE_CACHING": "false"])
        try await h.app.test(.router) { client in
            func complete(_ extra: [String: Any]) async throws -> [String: Any] {
                var b: [String: Any] = ["model": "gen", "prompt": "abcdef", "max_tokens": 5]
                b.merge(extra) { _, x in x }
                return json(try await client.execute(uri: "/v1/completions", method: .post, headers: jsonHeaders, body: body(b)))
            }
            func text(_ o: [String: Any]) -> String? { (o["choices"] as? [[String: Any]])?.first?["text"] as? String }
            let a = try await complete(["temperature": 1, "seed": 42])
            let b = try await complete(["temperature": 1, "seed": 42])
            #expect(text(a) != nil && text(a) == text(b))
            let stopped = try await complete(["temperature": 0, "stop": ["c"]])
            #expect(text(stopped) == "fed")
            #expect((stopped["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
        }
    }

    @Test func streamingSendsChunksUsageAndDone() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                             body: body(["model": "gen", "messages": [["role": "user", "content": "xy"]], "max_tokens": 3,
                                                         "temperature": 0, "stream": true, "stream_options": ["include_usage": true]]))
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/event-stream")
            let events = String(buffer: r.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            let objects = events.dropLast().compactMap { e -> [String: Any]? in
                try? JSONSerialization.jsonObject(with: Data(e.dropFirst("data: ".count).utf8)) as? [String: Any]
            }
            let content = objects.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(content == ">tn")  // the prompt "<user>xy<assistant>" reversed
            let usage = objects.last?["usage"] as? [String: Int]
            #expect(usage?["completion_tokens"] == 3)
            #expect(usage?["prompt_tokens"] == "<user>xy<assistant>".count)
        }
    }

    @Test func embeddingsInFloatAndBase64() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let f = json(try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                                  body: body(["model": "embed", "input": ["ab", "c"]])))
            let data = f["data"] as? [[String: Any]] ?? []
            #expect(data.count == 2)
            #expect((data[0]["embedding"] as? [Double])?.map(Float.init) == FakeEmbedder.vector("ab"))
            #expect((f["usage"] as? [String: Int])?["prompt_tokens"] == 3)
            let b = json(try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                                  body: body(["model": "embed", "input": "ab", "encoding_format": "base64"])))
            let encoded = ((b["data"] as? [[String: Any]])?.first?["embedding"] as? String).flatMap { Data(base64Encoded: $0) }
            #expect(encoded.map(littleEndianFloats) == FakeEmbedder.vector("ab"))
            let dims = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                                body: body(["model": "embed", "input": "ab", "dimensions": 2]))
            #expect(dims.status == .badRequest)
            #expect(errorOf(dims)["param"] as? String == "dimensions")
        }
    }
}

@Suite struct ControlWiringTests {
    @Test func authRequiredKeysAdminAndAllowedModels() async throws {
        let h = try Harness(["HF_SERVER_ENABLE_AUTH": "true", "HF_SERVER_REQUIRE_AUTH": "true", "HF_SERVER_ADMIN_API_KEY": "admin-secret"])
        try await h.app.test(.router) { client in
            let none = try await client.execute(uri: "/v1/models", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            let load = try await client.execute(uri: "/models/load", method: .post, headers: jsonHeaders, body: body(["model_id": "embed"]))
            #expect(load.status == .unauthorized)
            let adminNone = try await client.execute(uri: "/admin/queue/stats", method: .get)
            #expect(adminNone.status == .unauthorized)
            let gen = try await client.execute(uri: "/admin/keys/generate", method: .post,
                                               headers: [.authorization: "Bearer admin-secret", .contentType: "application/json"],
                                               body: body(["name": "app", "rate_limit": 100, "allowed_models": ["embed"]]))
            #expect(gen.status == .ok)
            let g = json(gen)
            let key = try #require(g["api_key"] as? String)
            #expect(key.hasPrefix("hf_"))
            #expect(g["key_id"] as? String == String(KeyStore.hash(key).prefix(16)))
            let ok = try await client.execute(uri: "/v1/embeddings", method: .post,
                                              headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                              body: body(["model": "embed", "input": "x"]))
            #expect(ok.status == .ok)
            // Bearer wins over X-API-Key.
            let both = try await client.execute(uri: "/v1/models", method: .get,
                                                headers: [.authorization: "Bearer wrong", .init("X-API-Key")!: key])
            #expect(both.status == .unauthorized)
            let viaHeader = try await client.execute(uri: "/v1/models", method: .get, headers: [.init("X-API-Key")!: key])
            #expect(viaHeader.status == .ok)
            let notAllowed = try await client.execute(uri: "/v1/completions", method: .post,
                                                      headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                                      body: body(["model": "gen", "prompt": "x"]))
            #expect(notAllowed.status == .forbidden)
            let notAdmin = try await client.execute(uri: "/admin/keys/list", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(notAdmin.status == .forbidden)
            let list = json(try await client.execute(uri: "/admin/keys/list", method: .get, headers: [.authorization: "Bearer admin-secret"]))
            let keys = list["keys"] as? [[String: Any]] ?? []
            #expect(keys.count == 1 && keys.first?["api_key"] == nil && keys.first?["key_id"] as? String == g["key_id"] as? String)
            let revoke = try await client.execute(uri: "/admin/keys/\(g["key_id"] as! String)/revoke", method: .post,
                                                  headers: [.authorization: "Bearer admin-secret"])
            #expect(revoke.status == .ok)
            let after = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(after.status == .unauthorized)
        }
        // Keys persist: a new server on the same database knows the (revoked) key.
        let again = try KeyStore(path: h.dir.appendingPathComponent("hub.sqlite").path)
        let stored = try await again.list()
        #expect(stored.count == 1 && stored[0].isRevoked)
        #expect(stored[0].keyHash.count == 64)
    }

    @Test func keyOverItsRateLimitGets429WithHeaders() async throws {
        // Time stands still unless the test moves it: the bucket cannot refill between the requests
        // however slowly they run (under a sanitizer, on a loaded machine).
        let clock = ManualClock()
        let h = try Harness(["HF_SERVER_ENABLE_AUTH": "true", "HF_SERVER_ENABLE_RATE_LIMITING": "true", "HF_SERVER_ADMIN_API_KEY": "adm"],
                            clock: clock.read)
        try await h.app.test(.router) { client in
            let g = json(try await client.execute(uri: "/admin/keys/generate?name=slow&rate_limit=3", method: .post,
                                                  headers: [.authorization: "Bearer adm"]))
            let key = try #require(g["api_key"] as? String)
            for i in 0..<3 {
                let r = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
                #expect(r.status == .ok)
                #expect(r.headers[.init("X-RateLimit-Limit")!] == "3")
                #expect(r.headers[.init("X-RateLimit-Remaining")!] == String(2 - i))
            }
            let r = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(r.status == .tooManyRequests)
            // 3 a minute: the next token comes 20 s after the bucket emptied.
            #expect(r.headers[.retryAfter] == "20")
            #expect(r.headers[.init("X-RateLimit-Remaining")!] == "0")
            #expect(r.headers[.init("X-RateLimit-Reset")!] != nil)
            #expect(errorOf(r)["code"] as? String == "rate_limit_exceeded")
            clock.advance(20)
            let refilled = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(refilled.status == .ok)
        }
    }

    @Test func failingModelOpensTheBreakerThenAnswers503AtOnce() async throws {
        let loads = Recorder()
        // The breaker counts in the test's clock, so the open state lasts until the test moves time
        // past the half-open delay, however slowly the requests run.
        let clock = ManualClock()
        let h = try Harness(["HF_SERVER_CIRCUIT_BREAKER_TIMEOUT_SECONDS": "3"], loads: loads, clock: clock.read)
        try await h.app.test(.router) { client in
            for _ in 0..<5 {
                let r = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(["model": "broken", "input": "x"]))
                #expect(r.status == .internalServerError)
            }
            let open = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(["model": "broken", "input": "x"]))
            #expect(open.status == .serviceUnavailable)
            #expect(errorOf(open)["code"] as? String == "circuit_open")
            #expect(loads.batches.count == 5)  // open: no sixth load attempt
            let other = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(["model": "embed", "input": "x"]))
            #expect(other.status == .ok)
            clock.advance(3.2)
            let trial = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(["model": "broken", "input": "x"]))
            #expect(trial.status == .internalServerError)  // half-open trial failed: open again
            #expect(h.server.breakers.state("broken") == .open)
        }
    }

    @Test func concurrentEmbeddingsShareAForwardPassAndEqualUnbatchedAnswers() async throws {
        let rec = Recorder()
        rec.delay = 0.05
        let h = try Harness(["HF_SERVER_BATCH_WINDOW_MS": "20", "HF_SERVER_ENABLE_CACHING": "false", "HF_SERVER_PRELOAD_MODELS": "embed"], embed: rec)
        while !h.server.isReady { try await Task.sleep(nanoseconds: 10_000_000) }
        try await h.app.test(.router) { client in
            let texts = (0..<6).map { "text number \($0)" }
            let vectors = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
                for (i, t) in texts.enumerated() {
                    group.addTask {
                        let r = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(["model": "embed", "input": t]))
                        return (i, ((json(r)["data"] as? [[String: Any]])?.first?["embedding"] as? [Double]) ?? [])
                    }
                }
                var out = [[Double]](repeating: [], count: texts.count)
                for try await (i, v) in group { out[i] = v }
                return out
            }
            for (t, v) in zip(texts, vectors) { #expect(v.map(Float.init) == FakeEmbedder.vector(t)) }
        }
        #expect(rec.batches.dropFirst().contains { $0 > 1 })  // (the first call is the warm-up)
    }

    @Test func aFailingBatchMemberFailsAloneAndNothingHangs() async throws {
        let rec = Recorder()
        rec.failOn = "poison"
        let h = try Harness(["HF_SERVER_BATCH_WINDOW_MS": "30", "HF_SERVER_ENABLE_CACHING": "false"], embed: rec)
        try await h.app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for t in ["good one", "poison", "good two"] {
                    group.addTask {
                        let r = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: body(["model": "embed", "input": t]))
                        return (t, Int(r.status.code))
                    }
                }
                var out: [String: Int] = [:]
                for try await (t, s) in group { out[t] = s }
                return out
            }
            #expect(statuses == ["good one": 200, "poison": 500, "good two": 200])
        }
    }

    @Test func responseCacheAnswersRepeatsWithoutTheModel() async throws {
        let rec = Recorder()
        let h = try Harness([:], embed: rec)
        try await h.app.test(.router) { client in
            let b = body(["model": "embed", "input": "same"])
            let first = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: b)
            let calls = rec.batches.count
            let second = try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders, body: b)
            #expect(second.headers[.init("X-Cache")!] == "HIT")
            #expect(first.body == second.body)
            #expect(rec.batches.count == calls)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("hf_server_cache_hits_total{cache_type=\"response\"} 1"))
        }
    }

    @Test func lruEvictsBeyondMaxLoadedModels() async throws {
        let h = try Harness(["HF_SERVER_MAX_LOADED_MODELS": "2"])
        try await h.app.test(.router) { client in
            for m in ["embed", "embed2", "embed3"] {
                let r = try await client.execute(uri: "/models/load", method: .post, headers: jsonHeaders, body: body(["model_id": m]))
                #expect(r.status == .ok)
            }
            let s = json(try await client.execute(uri: "/status", method: .get))
            #expect(Set(s["models_loaded"] as? [String] ?? []) == ["embed2", "embed3"])
            #expect((s["model_cache"] as? [String: Any])?["evictions"] as? Int == 1)
            #expect((s["hardware_available"] as? [String])?.contains("cpu") == true)
            let cuda = try await client.execute(uri: "/models/load", method: .post, headers: jsonHeaders,
                                                body: body(["model_id": "embed", "hardware": "cuda"]))
            if !((s["hardware_available"] as? [String]) ?? []).contains("cuda") {
                #expect(cuda.status == .badRequest)
                #expect(errorOf(cuda)["param"] as? String == "hardware")
            }
            let unload = try await client.execute(uri: "/models/unload", method: .post, headers: jsonHeaders, body: body(["model_id": "embed2"]))
            #expect(unload.status == .ok)
        }
    }

    @Test func readyIs503UntilPreloadingEnds() async throws {
        let rec = Recorder()
        rec.delay = 0.3
        let h = try Harness(["HF_SERVER_PRELOAD_MODELS": "embed,gen"], embed: rec)
        try await h.app.test(.router) { client in
            let early = try await client.execute(uri: "/ready", method: .get)
            #expect(early.status == .serviceUnavailable)
            while try await client.execute(uri: "/ready", method: .get).status != .ok { try await Task.sleep(nanoseconds: 20_000_000) }
            let s = json(try await client.execute(uri: "/status", method: .get))
            #expect(Set(s["models_loaded"] as? [String] ?? []) == ["embed", "gen"])
        }
    }
}
