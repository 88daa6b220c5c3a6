import BlockStore
import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import Multiformats
import NIOCore
import UnixFS
import Primitives

/// The trustless gateway: `/ipfs/{cid}[/path]` as raw blocks, CAR streams (dag-scope, entity-bytes),
/// file bytes with Range, or a directory listing; only for content reachable from a public repo or a pin.
package struct GatewayController: Sendable {
    let content: ContentStore
    let database: HubDatabase
    /// Content pinned in the node (served besides what public repos reach).
    let isPinned: @Sendable (String) async -> Bool
    let responses: ContentResponses

    func addRoutes(to router: HubRouter) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/ipfs/:cid", method: method) { req, ctx in try await self.gateway(req, cid: ctx.parameters.get("cid") ?? "", path: []) }
            router.on("/ipfs/:cid/**", method: method) { req, ctx in
                try await self.gateway(req, cid: ctx.parameters.get("cid") ?? "", path: ctx.parameters.getCatchAll().map(decoded))
            }
        }
    }

    enum GatewayFormat { case bytes, raw, car }

    func gatewayFormat(_ request: Request) throws -> GatewayFormat {
        if let f = request.uri.queryParameters["format"] {
            switch f {
            case "raw": return .raw
            case "car": return .car
            default: throw HubError(.badRequest, code: .badRequest, "format must be raw or car")
            }
        }
        let accept = request.headers[.accept] ?? ""
        if accept.contains("application/vnd.ipld.raw") { return .raw }
        if accept.contains("application/vnd.ipld.car") { return .car }
        return .bytes
    }

    func gateway(_ request: Request, cid rootString: String, path: [String]) async throws -> Response {
        let root: CID
        do { root = try CID(rootString) } catch {
            throw HubError(.badRequest, code: .badRequest, "'\(rootString)' is not a CID: \(error)")
        }
        let notHere = HubError(.notFound, code: .notFound, "\(rootString) is not in a public repo or pinned here")
        let content = self.content
        guard try await isServable(root.description), try await runBlocking({ content.contains(cid: root.description) }) else { throw notHere }
        let format = try gatewayFormat(request)
        let exporter = content.exporter
        // Resolve the path, remembering the blocks passed through (they belong in a CAR). Every
        // store read below happens on a dispatch thread (runBlocking), never on the cooperative pool.
        let (target, pathBlocks) = try await runBlocking { () throws -> (CID, [CID]) in
            var target = root
            var pathBlocks: [CID] = []
            for name in path where !name.isEmpty {
                guard Exporter.isSafeName(name) else { throw HubError(.badRequest, code: .badRequest, "Invalid path segment '\(name)'") }
                pathBlocks.append(target)
                do { target = try exporter.child(named: name, of: target) } catch {
                    throw HubError(.notFound, code: .notFound, "No '\(name)' under \(target)")
                }
            }
            return (target, pathBlocks)
        }
        var headers = HTTPFields()
        headers[.xIPFSPath] = "/ipfs/\(rootString)" + (path.isEmpty ? "" : "/" + path.joined(separator: "/"))
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.cacheControl] = "public, max-age=29030400, immutable"
        switch format {
        case .raw:
            let store = content.blocks
            let block = try await runBlocking { try store.get(target) }
            headers[.contentType] = "application/vnd.ipld.raw"
            headers[.eTag] = "\"\(target).raw\""
            headers[.contentLength] = String(block.count)
            return Response(status: .ok, headers: headers,
                            body: request.method == .head ? .init() : .init(byteBuffer: ByteBuffer(bytes: block)))
        case .car:
            let q = request.uri.queryParameters
            let scope = q["dag-scope"].map(String.init) ?? "all"
            guard ["all", "entity", "block"].contains(scope) else {
                throw HubError(.badRequest, code: .badRequest, "dag-scope must be all, entity or block")
            }
            let size = try await runBlocking { (try? exporter.fileSize(target)).map(Int64.init) }
            let range = try q["entity-bytes"].map { try Self.parseEntityBytes(String($0), size: size) }
            headers[.contentType] = "application/vnd.ipld.car; version=1; order=dfs; dups=n"
            headers[.eTag] = "\"\(target).car.\(scope)\(range.map { ".\($0.lowerBound)-\($0.upperBound)" } ?? "")\""
            if request.method == .head { return Response(status: .ok, headers: headers, body: .init()) }
            let store = content.blocks
            let blocksOnPath = pathBlocks, entity = target
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: CARWriter.header(roots: [root])))
                var seen = Set<CID>()
                for cid in blocksOnPath where seen.insert(cid).inserted {
                    let data = try await runBlocking { try store.get(cid) }
                    try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: cid, data: data)))
                }
                var stack: [(CID, Int64)] = [(entity, 0)]  // (block, byte offset of its data in the entity)
                while let (cid, base) = stack.popLast() {
                    guard seen.insert(cid).inserted else { continue }
                    let data = try await runBlocking { try store.get(cid) }
                    try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: cid, data: data)))
                    if scope == "block" { continue }
                    guard cid.codec == .dagPB else { continue }
                    let pb = try PBNode(decoding: data)
                    let fs = try pb.data.map { try UnixFSData(decoding: $0) }
                    switch fs?.type {
                    case .file?, .raw?:
                        // Children overlapping the requested bytes (all of them without entity-bytes).
                        var pos = base + Int64(fs?.data?.count ?? 0)
                        var children: [(CID, Int64)] = []
                        for (link, size) in zip(pb.links, fs?.blocksizes ?? []) {
                            if range.map({ pos <= $0.upperBound && pos + Int64(size) > $0.lowerBound }) ?? true {
                                children.append((link.cid, pos))
                            }
                            pos += Int64(size)
                        }
                        stack += children.reversed()
                    case .directory?, .hamtShard?:
                        // dag-scope=entity: a directory is its own node (and HAMT shards), not the children.
                        let kids = pb.links.filter { scope == "all" || (fs?.type == .hamtShard && $0.name.utf8.count == 2) }
                        stack += kids.map { ($0.cid, 0) }.reversed()
                    default:
                        continue
                    }
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        case .bytes:
            switch try await runBlocking({ try exporter.type(of: target) }) {
            case .file:
                let size = Int64(try await runBlocking { try exporter.fileSize(target) })
                headers[.eTag] = "\"\(target)\""
                headers[.acceptRanges] = "bytes"
                headers[.contentType] = "application/octet-stream"
                headers[.xIPFSCID] = target.description
                return responses.stream(cid: target.description, size: size, headers: headers, request, kind: "gateway")
            case .directory:
                let entries = try await runBlocking { try exporter.ls(target) }
                let base = "/ipfs/\(rootString)" + (path.isEmpty ? "" : "/" + path.map { PercentEncoding.encode($0) }.joined(separator: "/"))
                var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>\(htmlEscape(base))</title></head><body><h1>\(htmlEscape(base))</h1><ul>\n"
                for e in entries {
                    let href = base + "/" + PercentEncoding.encode(e.name)
                    html += "<li><a href=\"\(htmlEscape(href))\">\(htmlEscape(e.name))</a> \(e.type == .directory ? "dir" : String(e.size)) <code>\(e.cid)</code></li>\n"
                }
                html += "</ul></body></html>\n"
                headers[.contentType] = "text/html; charset=utf-8"
                headers[.eTag] = "\"\(target).dir\""
                let bytes = ByteBuffer(string: html)
                headers[.contentLength] = String(bytes.readableBytes)
                return Response(status: .ok, headers: headers, body: request.method == .head ? .init() : .init(byteBuffer: bytes))
            default:
                throw HubError(.notImplemented, code: .notImplemented, "\(target) is neither a file nor a directory")
            }
        }
    }

    func isServable(_ cid: String) async throws -> Bool {
        if try await database.isPubliclyReachable(cid: cid) { return true }
        return await isPinned(cid)
    }

    /// `entity-bytes=from:to` (inclusive; `*` = end; negative = from the end).
    package static func parseEntityBytes(_ spec: String, size: Int64?) throws -> ClosedRange<Int64> {
        let bad = HubError(.badRequest, code: .badRequest, "entity-bytes must be from:to (to may be * or negative)")
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, var from = Int64(parts[0]) else { throw bad }
        let total = size ?? Int64.max
        if from < 0 { from = max(total + from, 0) }
        var to: Int64
        if parts[1] == "*" { to = total - 1 } else {
            guard let t = Int64(parts[1]) else { throw bad }
            to = t < 0 ? total + t : t
        }
        to = min(to, total - 1)
        guard from <= to else { throw bad }
        return from...to
    }
}
