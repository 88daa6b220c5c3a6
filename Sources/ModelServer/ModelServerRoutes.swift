import Foundation
import HTTPTypes
import Hummingbird
import Inference
import NIOCore
import HTTPSupport

/// Mounts the model server on a router: OpenAI routes, model management, health, metrics, admin.
public struct ModelServerRoutes: Sendable {
    public let server: ModelServer
    /// Largest request body accepted (embedding batches can be big).
    public var maxBodyBytes = 16 * 1_048_576

    /// What else the process needs to serve, asked by `/ready` after the model server's own state
    /// (serve: the hub's database and store); nil when ready, else why not.
    public let alsoReady: @Sendable () async -> String?

    public init(server: ModelServer, alsoReady: @escaping @Sendable () async -> String? = { nil }) {
        self.server = server
        self.alsoReady = alsoReady
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let s = server
        let limit = maxBodyBytes
        let alsoReady = self.alsoReady
        router.post("/v1/completions") { req, _ in await s.handleJSON(req, endpoint: "completions", limit: limit) { o, raw, c throws(APIError) in try await s.generation(o, body: raw, chat: false, caller: c) } }
        router.post("/v1/chat/completions") { req, _ in await s.handleJSON(req, endpoint: "chat_completions", limit: limit) { o, raw, c throws(APIError) in try await s.generation(o, body: raw, chat: true, caller: c) } }
        router.post("/v1/embeddings") { req, _ in await s.handleJSON(req, endpoint: "embeddings", limit: limit) { o, raw, c throws(APIError) in try await s.embeddings(o, body: raw, caller: c) } }
        router.post("/tokenize") { req, _ in await s.handleJSON(req, endpoint: "tokenize", limit: limit) { _, raw, c throws(APIError) in try await s.tokenize(raw, caller: c) } }
        router.post("/detokenize") { req, _ in await s.handleJSON(req, endpoint: "detokenize", limit: limit) { _, raw, c throws(APIError) in try await s.detokenize(raw, caller: c) } }
        router.get("/v1/models") { req, _ in await s.handle(req, endpoint: "models", model: nil) { _ in await s.listModels() } }
        router.get("/v1/models/{id}") { req, ctx in
            let id = ctx.parameters.get("id") ?? ""
            return await s.handle(req, endpoint: "models", model: nil) { _ throws(APIError) in try await s.describeModel(id) }
        }
        router.post("/models/load") { req, _ in await s.handleJSON(req, endpoint: "models_load", limit: limit) { _, raw, _ throws(APIError) in try await s.loadModel(raw) } }
        router.post("/models/unload") { req, _ in await s.handleJSON(req, endpoint: "models_unload", limit: limit) { _, raw, _ throws(APIError) in try await s.unloadModel(raw) } }
        router.get("/health") { _, _ in ModelServer.json(["status": "healthy", "version": ModelServer.version]) }
        router.get("/ready") { _, _ in
            var why = s.notReadyReason
            if why == nil { why = await alsoReady() }
            if let why { return ModelServer.json(["status": "not_ready", "reason": why], status: .serviceUnavailable) }
            return ModelServer.json(["status": "ready"])
        }
        router.get("/status") { _, _ in await s.statusResponse() }
        router.get("/metrics") { _, _ in
            guard s.config.enableMetrics else {
                return APIError(status: .notFound, message: "Metrics are disabled (HF_SERVER_ENABLE_METRICS=false).", type: "invalid_request_error").response()
            }
            let text = await s.metricsText()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/admin/keys/generate") { req, _ in await s.admin(req) { () throws(APIError) in try await s.generateKey(req) } }
        router.get("/admin/keys/list") { req, _ in await s.admin(req) { () throws(APIError) in try await s.listKeys() } }
        router.post("/admin/keys/{id}/revoke") { req, ctx in
            let id = ctx.parameters.get("id") ?? ""
            return await s.admin(req) { () throws(APIError) in try await s.revokeKey(id) }
        }
        router.get("/admin/queue/stats") { req, _ in await s.admin(req) { s.queueStats() } }
    }
}

extension ModelServer {
    /// A JSON-bodied route: parse, authorise (with the body's model), run, count.
    func handleJSON(_ request: Request, endpoint: String, limit: Int,
                    _ body: @Sendable ([String: JSONValue], ByteBuffer, Caller) async throws(APIError) -> Response) async -> Response {
        var request = request
        let started = systemMonotonicClock()
        var model = ""
        var rateHeaders: [String: String] = [:]
        var response: Response
        do throws(APIError) {
            let caller = try await authorize(request, model: nil)
            rateHeaders = caller.rateHeaders
            let buffer: ByteBuffer
            do { buffer = try await request.collectBody(upTo: limit) } catch {
                throw APIError(status: .contentTooLarge, message: "The request body is larger than \(limit) bytes.", type: "invalid_request_error", code: "body_too_large")
            }
            let object = try JSON.object(from: buffer)
            model = object["model"]?.string ?? object["model_id"]?.string ?? ""
            if !model.isEmpty { try checkModelAllowed(caller, model) }
            response = try await body(object, buffer, caller)
        } catch {
            response = error.response()
        }
        return finish(response, endpoint: endpoint, model: model, started: started, rateHeaders: rateHeaders)
    }

    func handle(_ request: Request, endpoint: String, model: String?,
                _ body: @Sendable (Caller) async throws(APIError) -> Response) async -> Response {
        let started = systemMonotonicClock()
        var rateHeaders: [String: String] = [:]
        var response: Response
        do throws(APIError) {
            let caller = try await authorize(request, model: model)
            rateHeaders = caller.rateHeaders
            response = try await body(caller)
        } catch {
            response = error.response()
        }
        return finish(response, endpoint: endpoint, model: model ?? "", started: started, rateHeaders: rateHeaders)
    }

    private func finish(_ response: Response, endpoint: String, model: String, started: Double, rateHeaders: [String: String]) -> Response {
        var response = response
        for (k, v) in rateHeaders where response.headers[HTTPField.Name(k)!] == nil { response.headers[HTTPField.Name(k)!] = v }
        metrics.count("hf_server_requests_total", ["model": model, "endpoint": endpoint, "status": String(response.status.code)])
        metrics.seconds("hf_server_request_duration_seconds", ["model": model, "endpoint": endpoint], systemMonotonicClock() - started)
        if response.status.code >= 400 {
            metrics.count("hf_server_errors_total", ["model": model, "error_type": "http_\(response.status.code)"])
        }
        return response
    }

    func admin(_ request: Request, _ body: () async throws(APIError) -> Response) async -> Response {
        do throws(APIError) {
            try authorizeAdmin(request)
            return try await body()
        } catch {
            return error.response()
        }
    }
}
