import AsyncHTTPClient
import Foundation
import HTTPSupport
import Hummingbird
import NIOCore
import NIOHTTP1
import Outbound

/// The admin portal's view of the model server. The hub target does not link the model server (layers
/// only depend downwards), so it asks it over HTTP like any client: `/status` is public, and the key
/// routes need the model server's admin key, which the hub can use only when it runs in the same
/// process environment (`HF_SERVER_ADMIN_API_KEY`, as `ipfs-accelerate serve` shares it).
extension WebController {
    /// `HUB_MODEL_SERVER_URL`, else this server on loopback at the port the browser used: `serve` runs
    /// both on one port. Only the port is taken from the request, never its host, so a forged Host
    /// header cannot point these requests elsewhere.
    func modelServerBase(_ request: Request) -> String {
        if let url = ProcessInfo.processInfo.environment["HUB_MODEL_SERVER_URL"], !url.isEmpty {
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        let authority = request.head.authority ?? ""
        let port = authority.split(separator: ":").last.flatMap { Int($0) } ?? 8000
        return "http://127.0.0.1:\(port)"
    }

    var modelServerAdminKey: String? {
        ProcessInfo.processInfo.environment["HF_SERVER_ADMIN_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    struct ModelServerUnavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// One request to the model server, its answer decoded as `Reply` (fields it lacks read as absent).
    func modelServerJSON<Reply: Decodable>(_ request: Request, _ method: String, _ path: String, bearer: String? = nil,
                                           body: (some Encodable & Sendable)? = nil as EmptyJSONObject?,
                                           as reply: Reply.Type) async throws -> Reply {
        var r = HTTPClientRequest(url: modelServerBase(request) + path)
        r.method = HTTPMethod(rawValue: method)
        if let bearer { r.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            r.headers.add(name: "Content-Type", value: "application/json")
            r.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await OutboundHTTP.sources.execute(r, timeout: .seconds(5))
            answer = try await response.body.collect(upTo: 4 << 20)
        } catch {
            throw ModelServerUnavailable(description: "\(r.url) could not be reached (\(TransportFailure(error).describe(peer: "the source")))")
        }
        let data = Data(answer.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let message = (try? JSONDecoder().decode(ModelServerErrorReply.self, from: data))?.error?.message ?? "HTTP \(response.status.code)"
            throw HubError(.badGateway, code: .modelServer, "The model server refused \(method) \(path): \(message)")
        }
        do { return try JSONDecoder().decode(reply, from: data) } catch {
            throw HubError(.badGateway, code: .modelServer, "The model server's answer to \(method) \(path) is not what the hub reads: \(error)")
        }
    }

    /// A model-server admin call with its admin key; a 400 page when the hub has no key to use.
    func modelServerAdmin<Reply: Decodable>(_ request: Request, _ method: String, _ path: String,
                                            body: (some Encodable & Sendable)? = nil as EmptyJSONObject?,
                                            as reply: Reply.Type) async throws -> Reply {
        guard let key = modelServerAdminKey else {
            throw HubError.badRequest("The hub has no model-server admin key (HF_SERVER_ADMIN_API_KEY is not set)")
        }
        do { return try await modelServerJSON(request, method, path, bearer: key, body: body, as: reply) } catch let e as ModelServerUnavailable {
            throw HubError.badRequest(e.description)
        }
    }

    func keysPage(_ request: Request, _ visit: WebVisit, newKey: String? = nil, notice: String? = nil, error: String? = nil) async throws -> WebPage {
        var data = KeysPage(available: false, newKey: newKey, notice: notice, error: error)
        if modelServerAdminKey == nil {
            data.why = "The model server's API keys are managed with its admin key, and this hub process has none "
                + "(set HF_SERVER_ADMIN_API_KEY for `ipfs-accelerate serve` to manage keys here). Without it, use "
                + "POST /admin/keys/generate, GET /admin/keys/list and POST /admin/keys/{id}/revoke with the admin key."
        } else {
            do {
                let list = try await modelServerAdmin(request, "GET", "/admin/keys/list", as: ModelServerKeysReply.self)
                data.available = true
                data.keys = (list.keys ?? []).map { k in
                    var details = ["priority \(k.priority ?? "NORMAL")", "created \(k.created_at ?? "?")"]
                    if let rate = k.rate_limit { details.append("\(rate) req/min") }
                    if k.revoked == true { details.append("revoked") }
                    return KeysPage.Key(id: k.key_id ?? "", name: k.name ?? "", details: details.joined(separator: " · "))
                }
            } catch let e as HubError {
                data.why = e.message
            }
        }
        return .html(title: "Model-server keys", template: "adminKeys", data: data)
    }
}

/// What the panel reads of the model server's answers (Sources/ModelServer/ManagementResponses.swift
/// has the full shapes; the hub does not link that target). Every field is optional: a model server
/// of another version still shows what it has.
struct ModelServerStatusReply: Decodable {
    struct Model: Decodable { var id: String?; var type: String?; var memory_bytes: Int64? }
    struct Memory: Decodable { var total_bytes: Int64?; var process_resident_bytes: Int64? }
    var status: String?
    var version: String?
    var uptime_seconds: Double?
    var memory: Memory?
    var models: [Model]?
    var models_available: [String]?
    /// Queue figures by name; nested values (the per-priority counts) are not shown.
    var queue: [String: JSONValue]?
}

struct ModelServerKeysReply: Decodable {
    struct Key: Decodable {
        var key_id: String?
        var name: String?
        var priority: String?
        var created_at: String?
        var rate_limit: Int?
        var revoked: Bool?
    }
    var keys: [Key]?
}

struct NewModelServerKeyReply: Decodable { var api_key: String? }

struct NewModelServerKeyRequest: Encodable, Sendable { var name: String }

/// `{"error": {"message": ...}}`, OpenAI's error shape.
struct ModelServerErrorReply: Decodable {
    struct Detail: Decodable { var message: String? }
    var error: Detail?
}
