import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase

/// The trustless gateway: `/ipfs/{cid}[/path]`, for content reachable from a public repo or a pin.
extension HubServer {
    func addGatewayRoutes(to router: Router<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/ipfs/:cid", method: method) { req, ctx in try await self.gateway(req, cid: ctx.parameters.get("cid") ?? "", path: []) }
            router.on("/ipfs/:cid/**", method: method) { req, ctx in
                try await self.gateway(req, cid: ctx.parameters.get("cid") ?? "", path: ctx.parameters.getCatchAll().map(decoded))
            }
        }
    }

    func isServable(_ cid: String) async throws -> Bool {
        if try await database.isPubliclyReachable(cid: cid) { return true }
        return await isPinned(cid)
    }

    func gateway(_ request: Request, cid: String, path: [String]) async throws -> Response {
        guard try await isServable(cid), content.contains(cid: cid) else {
            throw HubError(.notFound, code: "NotFound", "\(cid) is not in a public repo or pinned here")
        }
        guard path.isEmpty else { throw HubError(.notFound, code: "NotFound", "\(cid) is a file, not a directory") }
        let size = try content.size(cid: cid)
        var headers = HTTPFields()
        headers[.eTag] = "\"\(cid)\""
        headers[.xIPFSPath] = "/ipfs/\(cid)"
        headers[.acceptRanges] = "bytes"
        headers[.contentType] = "application/octet-stream"
        headers[.cacheControl] = "public, max-age=29030400, immutable"
        return streamResponse(cid: cid, size: size, headers: headers, request)
    }
}
