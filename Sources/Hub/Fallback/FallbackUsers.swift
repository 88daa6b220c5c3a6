import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import HubDatabase
import NIOCore
import NIOHTTP1
import Primitives

/// User profiles and user repo lists: local first, then the sources that serve the namespace.
/// A `hub` source has `/api/users/{name}/profile|repos`; Hugging Face has `/overview` and no repo
/// list, so its repos are gathered from `/api/{models,datasets,spaces}?author=`.
extension FallbackController {
    func addUserRoutes(to router: HubRouter) {
        for suffix in ["profile", "overview"] {
            router.get("/api/users/:name/\(suffix)") { req, ctx in
                try await self.userProfile(ctx.parameters.get("name") ?? "", req)
            }
        }
        router.get("/api/users/:name/repos") { req, ctx in
            try await self.userRepos(ctx.parameters.get("name") ?? "", req, ctx.caller)
        }
    }

    func userProfile(_ name: String, _ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        if let user = try await database.user(named: name) {
            return json(LocalUserProfileJSON(name: user.name, fullname: user.name, createdAt: HubServer.iso8601(user.createdAt)))
        }
        guard let service = service(for: request) else { throw HubError(.notFound, code: .entryNotFound, "No user '\(name)'") }
        for source in service.candidates(namespace: name) {
            let path = source.sourceType == .hub ? "profile" : "overview"
            guard let reply = try? await service.upstream.fetch(.GET, "\(source.url)/api/users/\(PercentEncoding.encode(name))/\(path)", source: source),
                  reply.status == 200, var object = FallbackService.jsonObject(reply.body) else { continue }
            object["_source"] = .string(source.name)
            object["_source_url"] = .string(source.url)
            if source.sourceType == .huggingface { object["_partial"] = .bool(true) }
            var response = json(object)
            sourceHeaders(&response.headers, name: source.name, url: source.url, started: started)
            return response
        }
        throw HubError(.notFound, code: .entryNotFound, "No user '\(name)' here or at any fallback source")
    }

    func userRepos(_ name: String, _ request: Request, _ caller: Caller) async throws -> Response {
        var out: [String: [JSONValue]] = [:]
        var seen = Set<String>()
        for type in RepoType.allCases {
            let repos = try await database.listRepos(type: type, author: name, search: nil, limit: 1000, offset: 0,
                                                     viewerNamespaces: caller.namespaces, allPrivate: caller.isAdmin)
            out[type.plural] = repos.map { r in
                seen.insert("\(type.rawValue):\(r.fullName)")
                return .object(["id": .string(r.fullName), "author": .string(r.namespace), "private": .bool(r.isPrivate),
                                "_source": .string("local")])
            }
        }
        if let service = service(for: request) {
            for source in service.candidates(namespace: name) {
                var found: [String: [JSONValue]] = [:]
                if source.sourceType == .hub {
                    if let reply = try? await service.upstream.fetch(.GET, "\(source.url)/api/users/\(PercentEncoding.encode(name))/repos", source: source),
                       reply.status == 200, let object = FallbackService.jsonObject(reply.body) {
                        for type in RepoType.allCases { found[type.plural] = object[type.plural]?.array ?? [] }
                    }
                } else {
                    for type in RepoType.allCases {
                        let url = SourceURLs.list(source, type) + "?author=\(PercentEncoding.encode(name))&limit=1000"
                        if let reply = try? await service.upstream.fetch(.GET, url, source: source), reply.status == 200,
                           let list = try? JSONDecoder().decode([JSONValue].self, from: Data(reply.body.readableBytesView)) {
                            found[type.plural] = list
                        }
                    }
                }
                for type in RepoType.allCases {
                    for entry in found[type.plural] ?? [] {
                        // Entries another hub took from its own sources are not passed on as this source's.
                        guard var item = entry.object, let id = item["id"]?.string, item["_source"]?.string.map({ $0 == "local" }) ?? true,
                              service.settings.patterns.permits(id), seen.insert("\(type.rawValue):\(id)").inserted else { continue }
                        item["_source"] = .string(source.name)
                        item["_source_url"] = .string(source.url)
                        out[type.plural, default: []].append(.object(item))
                    }
                }
            }
        }
        return json(out)
    }
}

/// `GET /api/users/{name}/overview` for a user of this hub.
struct LocalUserProfileJSON: Encodable, Sendable {
    var name: String
    var fullname: String
    var type = "user"
    var createdAt: String
    var _source = "local"
}
