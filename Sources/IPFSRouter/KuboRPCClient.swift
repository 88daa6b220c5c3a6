import AsyncHTTPClient
import Foundation
import Outbound
import Primitives
import NIOCore
import NIOHTTP1

/// A client for Kubo's HTTP RPC API (`POST /api/v0/...`), used by the kubo and ipfs_kit backends.
/// Kubo's errors (`{"Message","Code","Type"}` with HTTP 500) become `BackendError`s; a message
/// saying the content is not there becomes `.notFound`.
public struct KuboRPCClient: Sendable {
    public let baseURL: String
    let timeout: Double
    let client: HTTPClient

    public init(baseURL: String, timeout: Double, client: HTTPClient = OutboundHTTP.rpc) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.client = client
    }

    /// Sends a request and returns the response once its head arrived and the status is 200.
    func send(_ command: String, _ params: [(String, String)] = [], body: HTTPClientRequest.Body? = nil,
              contentType: String? = nil, timeout: Double? = nil, cid: String? = nil) async throws -> HTTPClientResponse {
        var req = HTTPClientRequest(url: baseURL + "/api/v0/" + command + PercentEncoding.query(params))
        req.method = .POST
        if let body { req.body = body }
        if let contentType { req.headers.add(name: "Content-Type", value: contentType) }
        let t = timeout ?? self.timeout
        let resp: HTTPClientResponse
        do {
            resp = try await client.execute(req, timeout: .milliseconds(Int64(t * 1000)))
        } catch {
            let failure = TransportFailure(error)
            if failure == .timedOut { throw BackendError.timedOut(seconds: t, what: "Kubo RPC \(command) at \(baseURL)") }
            throw BackendError.unavailable("Kubo RPC at \(baseURL): \(failure.describe())")
        }
        guard resp.status == .ok else {
            let raw = (try? await resp.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
            let message = (try? JSONDecoder().decode(KuboErrorBody.self, from: Data(raw.utf8)).Message) ?? raw
            if Self.meansNotFound(message) || resp.status == .notFound && !message.contains("404 page") {
                throw BackendError.notFound(cid ?? message)
            }
            if resp.status == .notFound {
                throw BackendError.unsupported("\(command) is not served at \(baseURL) (HTTP 404)")
            }
            throw BackendError.failed("Kubo RPC \(command): HTTP \(resp.status.code): \(message)")
        }
        return resp
    }

    static func meansNotFound(_ message: String) -> Bool {
        let m = message.lowercased()
        return m.contains("not found") || m.contains("could not find") || m.contains("no link named")
            || m.contains("is not pinned") || m.contains("not pinned")
    }


    func collect(_ resp: HTTPClientResponse, limit: Int = Int.max) async throws -> Data {
        var out = Data()
        do {
            for try await chunk in resp.body {
                if out.count + chunk.readableBytes > limit { throw BackendError.failed("response larger than \(limit) bytes") }
                out.append(contentsOf: chunk.readableBytesView)
            }
        } catch let e as BackendError { throw e } catch {
            throw BackendError.unavailable("Kubo RPC at \(baseURL) broke off mid-response: \(TransportFailure(error).describe())")
        }
        return out
    }

    func stream(_ resp: HTTPClientResponse) -> AsyncThrowingStream<Data, any Error> {
        let base = baseURL
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in resp.body {
                        continuation.yield(Data(chunk.readableBytesView))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: BackendError.unavailable("Kubo RPC at \(base) broke off mid-stream: \(TransportFailure(error).describe())"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func json<T: Decodable>(_ type: T.Type, _ command: String, _ params: [(String, String)] = [], cid: String? = nil) async throws -> T {
        let data = try await collect(try await send(command, params, cid: cid), limit: 64 << 20)
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw BackendError.failed("Kubo RPC \(command): unexpected answer: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
    }

    // MARK: commands

    public func version() async throws -> String {
        struct V: Decodable { let Version: String }
        return try await json(V.self, "version").Version
    }

    /// `add` of one part set; returns every `{"Name","Hash","Size"}` line.
    func add(_ form: MultipartForm, options: AddOptions, pin: Bool) async throws -> [AddLine] {
        var p: [(String, String)] = [("pin", pin ? "true" : "false"), ("progress", "false")]
        if let v = options.cidVersion { p.append(("cid-version", "\(v)")) }
        if let r = options.rawLeaves { p.append(("raw-leaves", r ? "true" : "false")) }
        if let c = options.chunker { p.append(("chunker", c)) }
        if options.wrapWithDirectory { p.append(("wrap-with-directory", "true")) }
        if options.onlyHash { p.append(("only-hash", "true")) }
        let resp = try await send("add", p, body: form.body(), contentType: form.contentType)
        let data = try await collect(resp, limit: 256 << 20)
        var lines: [AddLine] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let l = try? JSONDecoder().decode(AddLine.self, from: Data(line)) { lines.append(l) }
            else if let e = try? JSONDecoder().decode(KuboErrorBody.self, from: Data(line)) {
                throw BackendError.failed("Kubo RPC add: \(e.Message)")
            }
        }
        guard !lines.isEmpty else { throw BackendError.failed("Kubo RPC add answered no CID") }
        return lines
    }

    func cat(_ cid: String, range: ByteRange?) async throws -> HTTPClientResponse {
        var p = [("arg", cid)]
        if let r = range {
            p.append(("offset", "\(r.offset)"))
            if let l = r.length { p.append(("length", "\(l)")) }
        }
        return try await send("cat", p, cid: cid)
    }

    func get(_ cid: String) async throws -> HTTPClientResponse { try await send("get", [("arg", cid)], cid: cid) }

    func ls(_ cid: String) async throws -> [LsEntry] {
        struct Link: Decodable {
            let name: String, hash: String, size: UInt64, type: Int
            enum CodingKeys: String, CodingKey { case name = "Name", hash = "Hash", size = "Size", type = "Type" }
        }
        struct Object: Decodable { let Hash: String; let Links: [Link]? }
        struct Answer: Decodable { let Objects: [Object] }
        let a = try await json(Answer.self, "ls", [("arg", cid), ("resolve-type", "true"), ("size", "true")], cid: cid)
        return (a.Objects.first?.Links ?? []).map {
            LsEntry(name: $0.name, cid: $0.hash, size: $0.size,
                    kind: $0.type == 1 || $0.type == 5 ? .directory : $0.type == 4 ? .symlink : $0.type == 2 ? .file : .other)
        }
    }

    func pinAdd(_ cid: String) async throws { _ = try await collect(try await send("pin/add", [("arg", cid)], cid: cid)) }
    func pinRm(_ cid: String) async throws { _ = try await collect(try await send("pin/rm", [("arg", cid)], cid: cid)) }
    func pinLs() async throws -> [String] {
        struct Entry: Decodable { let kind: String; enum CodingKeys: String, CodingKey { case kind = "Type" } }
        struct Answer: Decodable { let Keys: [String: Entry] }
        return try await json(Answer.self, "pin/ls", [("type", "recursive")]).Keys.keys.sorted()
    }

    func blockPut(_ data: Data, codec: String) async throws -> String {
        struct Answer: Decodable { let Key: String }
        var form = MultipartForm()
        form.addData(data, filename: "data")
        let resp = try await send("block/put", [("cid-codec", codec), ("mhtype", "sha2-256")], body: form.body(), contentType: form.contentType)
        let d = try await collect(resp, limit: 1 << 20)
        guard let a = try? JSONDecoder().decode(Answer.self, from: d) else {
            throw BackendError.failed("Kubo RPC block/put: unexpected answer \(String(decoding: d.prefix(200), as: UTF8.self))")
        }
        return a.Key
    }

    func blockGet(_ cid: String) async throws -> Data {
        try await collect(try await send("block/get", [("arg", cid)], cid: cid), limit: 8 << 20)
    }

    func dagExport(_ cid: String) async throws -> HTTPClientResponse { try await send("dag/export", [("arg", cid)], cid: cid) }

    func dagImport(_ car: Data, pinRoots: Bool = true) async throws -> [String] {
        struct CidLink: Decodable { let slash: String; enum CodingKeys: String, CodingKey { case slash = "/" } }
        struct RootInfo: Decodable { let Cid: CidLink }
        struct Line: Decodable { let Root: RootInfo? }
        var form = MultipartForm()
        form.addData(car, filename: "file.car")
        let resp = try await send("dag/import", [("pin-roots", pinRoots ? "true" : "false")], body: form.body(), contentType: form.contentType)
        let d = try await collect(resp, limit: 16 << 20)
        return d.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(Line.self, from: Data($0)) }
            .compactMap { $0.Root?.Cid.slash }
    }
}

struct AddLine: Decodable, Sendable { let Name: String; let Hash: String; let Size: String? }
struct KuboErrorBody: Decodable { let Message: String; let Code: Int? }
