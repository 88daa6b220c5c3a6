import BlockStore
import Foundation
import Hummingbird
import IPFSRouter
import Logging
import NIOCore
import UnixFS
import Primitives

/// The subset of Kubo's HTTP RPC API (`POST /api/v0/...`) that `ipfs-accelerate serve` answers,
/// on top of a backend (normally the local store), with Kubo's JSON shapes and error format, so
/// Kubo clients work against us and one instance can be another's `kubo` backend.
public struct KuboRPCRoutes: Sendable {
    /// The Kubo RPC face serves the local store: `add` reports what its importer saw, and
    /// sizes are the store's cumulative sizes.
    let backend: LocalBackend
    let tempDirectory: String
    let logger: Logger
    /// What `/api/v0/version` reports: the Kubo RPC version whose shapes we follow.
    public static let kuboVersion = "0.22.0"

    public init(backend: LocalBackend, tempDirectory: String, logger: Logger = Logger(label: "ipfs-accelerate.kubo-rpc")) {
        self.backend = backend
        self.tempDirectory = tempDirectory
        self.logger = logger
    }

    public func addRoutes(to router: Router<BasicRequestContext>) {
        let routes: [(String, @Sendable (Request) async throws -> Response)] = [
            ("add", add), ("cat", cat), ("get", get), ("ls", ls),
            ("block/put", blockPut), ("block/get", blockGet), ("block/stat", blockStat),
            ("pin/add", pinAdd), ("pin/rm", pinRm), ("pin/ls", pinLs),
            ("dag/export", dagExport), ("dag/import", dagImport),
            ("id", id), ("version", version),
        ]
        for (path, handler) in routes {
            let log = logger
            router.post(RouterPath("api/v0/" + path)) { request, _ -> Response in
                do { return try await handler(request) } catch {
                    let e = KuboRPCError.from(error)
                    log.debug("kubo rpc \(path) failed: \(e.message)")
                    return e.response
                }
            }
        }
    }

    // MARK: arguments

    static func args(_ r: Request) -> [String] { r.uri.queryParameters[values: "arg"].map(String.init) }
    static func flag(_ r: Request, _ name: String, default value: Bool) throws -> Bool {
        guard let v = r.uri.queryParameters[name[...]] else { return value }
        switch v.lowercased() {
        case "", "true", "1": return true
        case "false", "0": return false
        default: throw KuboRPCError.client("\(name): '\(v)' is not a boolean")
        }
    }
    static func int(_ r: Request, _ name: String) throws -> UInt64? {
        guard let v = r.uri.queryParameters[name[...]] else { return nil }
        guard let n = UInt64(v) else { throw KuboRPCError.client("\(name): '\(v)' is not a non-negative integer") }
        return n
    }
    static func one(_ r: Request, _ name: String) throws -> String {
        guard let a = args(r).first, !a.isEmpty else { throw KuboRPCError.missing(name) }
        return a
    }

    /// Resolves `/ipfs/CID/a/b`, `CID/a/b` or `CID` to the CID of the named node.
    func resolve(_ path: String) async throws -> String {
        var p = path
        if p.hasPrefix("/ipfs/") { p = String(p.dropFirst(6)) } else if p.hasPrefix("/") {
            throw KuboRPCError.server("invalid path \"\(path)\": only /ipfs/ paths are served here")
        }
        let parts = p.split(separator: "/").map(String.init)
        guard var cid = parts.first else { throw KuboRPCError.server("invalid path \"\(path)\": empty") }
        for name in parts.dropFirst() {
            guard let next = try await backend.ls(cid).first(where: { $0.name == name }) else {
                throw KuboRPCError.server("no link named \"\(name)\" under \(cid)")
            }
            cid = next.cid
        }
        return cid
    }

    /// Spools the request body to a temporary file (uploads can be larger than memory).
    func spool(_ r: Request) async throws -> String {
        try FileManager.default.createDirectory(atPath: tempDirectory, withIntermediateDirectories: true)
        let path = (tempDirectory as NSString).appendingPathComponent("rpc-upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: path, contents: nil), let fh = FileHandle(forWritingAtPath: path) else {
            throw KuboRPCError.server("cannot write to \(tempDirectory)")
        }
        defer { try? fh.close() }
        for try await chunk in r.body {
            try fh.write(contentsOf: Data(chunk.readableBytesView))
        }
        return path
    }

    func multipart(_ r: Request) async throws -> (MultipartBody, String) {
        guard let boundary = MultipartBody.boundary(fromContentType: r.headers[.contentType]) else {
            throw KuboRPCError.client("file argument was nil (send a multipart/form-data body)")
        }
        let file = try await spool(r)
        do { return (try MultipartBody(file: file, boundary: boundary), file) } catch {
            try? FileManager.default.removeItem(atPath: file)
            throw error
        }
    }

    static func stream(_ s: AsyncThrowingStream<Data, any Error>, contentType: String = "application/octet-stream") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.init("X-Stream-Output")!] = "1"
        let body = ResponseBody(asyncSequence: s.map { ByteBuffer(bytes: $0) })
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: handlers

    @Sendable func add(_ r: Request) async throws -> Response {
        let pin = try Self.flag(r, "pin", default: true)
        let quieter = try Self.flag(r, "quieter", default: false)
        let quiet = try Self.flag(r, "quiet", default: false)
        var options = AddOptions(includeHidden: true)
        if let v = try Self.int(r, "cid-version") {
            guard v <= 1 else { throw KuboRPCError.client("unknown CID version \(v)") }
            options.cidVersion = Int(v)
        }
        if r.uri.queryParameters["raw-leaves"] != nil { options.rawLeaves = try Self.flag(r, "raw-leaves", default: false) }
        if let c = r.uri.queryParameters["chunker"] { options.chunker = String(c) }
        options.wrapWithDirectory = try Self.flag(r, "wrap-with-directory", default: false)
        options.onlyHash = try Self.flag(r, "only-hash", default: false)
        if let h = r.uri.queryParameters["hash"], h != "sha2-256" { throw KuboRPCError.client("hash \(h) is not supported here (sha2-256 only)") }

        let (form, spooled) = try await multipart(r)
        let work = (tempDirectory as NSString).appendingPathComponent("rpc-add-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(atPath: spooled)
            try? FileManager.default.removeItem(atPath: work)
        }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // Rebuild the uploaded tree on disk, refusing names that would leave it.
        var tops: [String] = []
        for part in form.parts {
            let name = part.filename ?? "data"
            // Extra slashes (`a//b`, `dir/`) are read past, as they always were, so uploads that worked still do.
            guard let comps = (try? RelativePath.segments(name, emptySegments: .skip))?.map(String.init) else {
                throw KuboRPCError.client("invalid file name \"\(name)\"")
            }
            if !tops.contains(comps[0]) { tops.append(comps[0]) }
            let target = comps.reduce(work) { ($0 as NSString).appendingPathComponent($1) }
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if part.isDirectory {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            } else {
                try form.write(part, to: target)
            }
        }
        guard !tops.isEmpty else { throw KuboRPCError.client("file argument was nil") }
        var lines: [AddedEntry] = []
        do {
            // The importer reports every entry with Kubo's cumulative sizes, root last.
            var o = options
            o.wrapWithDirectory = false
            let targets = options.wrapWithDirectory ? [work] : tops.map { (work as NSString).appendingPathComponent($0) }
            let strip = options.wrapWithDirectory ? (work as NSString).lastPathComponent : nil
            for target in targets {
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: target, isDirectory: &isDir)
                for e in try await backend.addPathEntries(target, recursive: isDir.boolValue, pin: pin, options: o) {
                    var name = e.path
                    if let strip { name = name == strip ? "" : String(name.dropFirst(strip.count + 1)) }
                    lines.append(AddedEntry(Name: name, Hash: e.cid.description, Size: "\(e.size)"))
                }
            }
        }
        if quieter, let last = lines.last { lines = [last] }
        _ = quiet
        return KuboJSON.response(lines: lines)
    }

    @Sendable func cat(_ r: Request) async throws -> Response {
        let cid = try await resolve(try Self.one(r, "ipfs-path"))
        let offset = try Self.int(r, "offset") ?? 0
        let length = try Self.int(r, "length")
        let range: ByteRange? = (offset > 0 || length != nil) ? ByteRange(offset: offset, length: length) : nil
        return Self.stream(try await backend.catStream(cid, range: range))
    }

    @Sendable func get(_ r: Request) async throws -> Response {
        let arg = try Self.one(r, "ipfs-path")
        let cid = try await resolve(arg)
        if try Self.flag(r, "archive", default: false) == false, r.uri.queryParameters["compress"].map({ $0 == "true" }) == true {
            throw KuboRPCError.client("compress is not supported here")
        }
        let work = (tempDirectory as NSString).appendingPathComponent("rpc-get-\(UUID().uuidString)")
        let out = (work as NSString).appendingPathComponent("out")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        do { try await backend.getToPath(cid, outputPath: out) } catch {
            try? FileManager.default.removeItem(atPath: work)
            throw error
        }
        let rootName = arg.hasPrefix("/ipfs/") ? String(arg.dropFirst(6)) : arg
        let entries = TarWriter.entries(root: out, name: rootName)
        let stream = AsyncThrowingStream<Data, any Error> { c in
            let task = Task {
                defer { try? FileManager.default.removeItem(atPath: work) }
                do {
                    for (name, path, isDir) in entries {
                        let size = isDir ? 0 : (((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.uint64Value ?? 0)
                        c.yield(TarWriter.header(name: name, size: size, directory: isDir))
                        guard !isDir else { continue }
                        var written: UInt64 = 0
                        for try await chunk in FileChunks([URL(fileURLWithPath: path)]) {
                            try Task.checkCancellation()
                            c.yield(chunk)
                            written += UInt64(chunk.count)
                        }
                        let pad = TarWriter.padding(Int(written % 512))
                        if pad > 0 { c.yield(Data(count: pad)) }
                    }
                    c.yield(Data(count: 1024))
                    c.finish()
                } catch { c.finish(throwing: error) }
            }
            c.onTermination = { _ in task.cancel() }
        }
        return Self.stream(stream, contentType: "application/x-tar")
    }

    @Sendable func ls(_ r: Request) async throws -> Response {
        var objects: [LsOutput.Object] = []
        let paths = Self.args(r)
        guard !paths.isEmpty else { throw KuboRPCError.missing("ipfs-path") }
        for arg in paths {
            let cid = try await resolve(arg)
            let links = try await backend.ls(cid).map { e -> LsOutput.Link in
                let type: Int
                switch e.kind { case .directory: type = 1; case .file: type = 2; case .symlink: type = 4; case .other: type = 0 }
                return LsOutput.Link(Name: e.name, Hash: e.cid, Size: e.size, Type: type, Target: "")
            }
            objects.append(LsOutput.Object(Hash: arg, Links: links))
        }
        return KuboJSON.response(LsOutput(Objects: objects))
    }

    @Sendable func blockPut(_ r: Request) async throws -> Response {
        var codec = r.uri.queryParameters["cid-codec"].map(String.init) ?? "raw"
        if let format = r.uri.queryParameters["format"] {
            // Kubo's legacy --format: v0 and protobuf mean dag-pb.
            codec = (format == "v0" || format == "protobuf") ? "dag-pb" : String(format)
        }
        if let mh = r.uri.queryParameters["mhtype"], mh != "sha2-256" { throw KuboRPCError.client("mhtype \(mh) is not supported here (sha2-256 only)") }
        let (form, spooled) = try await multipart(r)
        defer { try? FileManager.default.removeItem(atPath: spooled) }
        var lines: [BlockStat] = []
        for part in form.parts {
            let data = form.bytes(part)
            let cid = try await backend.blockPut(data, codec: codec)
            if try Self.flag(r, "pin", default: false) { try await backend.pin(cid) }
            lines.append(BlockStat(Key: cid, Size: data.count))
        }
        guard !lines.isEmpty else { throw KuboRPCError.missing("data") }
        return KuboJSON.response(lines: lines)
    }

    @Sendable func blockGet(_ r: Request) async throws -> Response {
        let data = try await backend.blockGet(try await resolve(try Self.one(r, "cid")))
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func blockStat(_ r: Request) async throws -> Response {
        let arg = try Self.one(r, "cid")
        let cid = try await resolve(arg)
        let data = try await backend.blockGet(cid)
        return KuboJSON.response(BlockStat(Key: cid, Size: data.count))
    }

    @Sendable func pinAdd(_ r: Request) async throws -> Response {
        let paths = Self.args(r)
        guard !paths.isEmpty else { throw KuboRPCError.missing("ipfs-path") }
        var pinned: [String] = []
        for p in paths {
            let cid = try await resolve(p)
            try await backend.pin(cid)
            pinned.append(cid)
        }
        return KuboJSON.response(PinChange(Pins: pinned))
    }

    @Sendable func pinRm(_ r: Request) async throws -> Response {
        let paths = Self.args(r)
        guard !paths.isEmpty else { throw KuboRPCError.missing("ipfs-path") }
        var unpinned: [String] = []
        for p in paths {
            let cid = try await resolve(p)
            guard try await backend.pins().contains(cid) else { throw KuboRPCError.server("not pinned or pinned indirectly") }
            try await backend.unpin(cid)
            unpinned.append(cid)
        }
        return KuboJSON.response(PinChange(Pins: unpinned))
    }

    @Sendable func pinLs(_ r: Request) async throws -> Response {
        let type = r.uri.queryParameters["type"].map(String.init) ?? "all"
        guard ["all", "recursive", "direct", "indirect"].contains(type) else {
            throw KuboRPCError.client("invalid type '\(type)', must be one of {direct, indirect, recursive, all}")
        }
        var pins: [String] = []
        if type == "all" || type == "recursive" { pins = try await backend.pins() }
        var keys: [String: PinList.Pin] = [:]
        let wanted = Self.args(r)
        if !wanted.isEmpty {
            for w in wanted {
                let cid = try await resolve(w)
                guard pins.contains(cid) else { throw KuboRPCError.server("path '\(w)' is not pinned") }
                keys[cid] = PinList.Pin(Type: "recursive")
            }
        } else {
            for p in pins { keys[p] = PinList.Pin(Type: "recursive") }
        }
        return KuboJSON.response(PinList(Keys: keys))
    }

    @Sendable func dagExport(_ r: Request) async throws -> Response {
        Self.stream(try await backend.dagExport(try await resolve(try Self.one(r, "root"))), contentType: "application/vnd.ipld.car")
    }

    @Sendable func dagImport(_ r: Request) async throws -> Response {
        let (form, spooled) = try await multipart(r)
        defer { try? FileManager.default.removeItem(atPath: spooled) }
        let pinRoots = try Self.flag(r, "pin-roots", default: true)
        var lines: [DagImportRoot] = []
        for part in form.parts {
            let roots = try await backend.dagImport(form.bytes(part), pinRoots: pinRoots)
            for root in roots {
                var pinError = ""
                if pinRoots { do { try await backend.pin(root) } catch { pinError = "\(error)" } }
                lines.append(DagImportRoot(Root: .init(Cid: .init(cid: root), PinErrorMsg: pinError)))
            }
        }
        guard !form.parts.isEmpty else { throw KuboRPCError.missing("path") }
        return KuboJSON.response(lines: lines)
    }

    @Sendable func id(_ r: Request) async throws -> Response {
        KuboJSON.response(IDOutput())
    }

    @Sendable func version(_ r: Request) async throws -> Response {
        KuboJSON.response(VersionOutput(Version: Self.kuboVersion))
    }
}

extension KuboRPCRoutes {
    /// The routes over the local store in `dataDirectory` (what `serve` mounts).
    public static func local(dataDirectory: DataDirectory) throws -> KuboRPCRoutes {
        KuboRPCRoutes(backend: try LocalBackend(dataDirectory: dataDirectory), tempDirectory: dataDirectory.tmp.path)
    }
}
