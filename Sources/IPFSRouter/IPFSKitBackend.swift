import AsyncHTTPClient
import Foundation
import Outbound
import NIOCore
import NIOHTTP1

/// The `ipfs_kit` backend, for users who outgrow one machine: data through a Kubo RPC endpoint
/// (`IPFS_KIT_KUBO_API`, default `KUBO_API`), pins through an IPFS Cluster REST API
/// (`IPFS_CLUSTER_API`) with a replication factor (`IPFS_CLUSTER_REPLICATION`). Unavailable when
/// neither endpoint answers; with only one, it serves what that one can and fails the rest over.
public final class IPFSKitBackend: IPFSBackend, @unchecked Sendable {
    public let name: String
    let kubo: KuboRPCClient
    let clusterURL: String
    let replication: Int?
    let timeout: Double
    let probeTimeout: Double
    private let lock = NSLock()
    private var cached: (kubo: String?, cluster: String?, why: String, at: Date)?

    public init(settings: RouterSettings, name: String = "ipfs_kit") {
        self.name = name
        kubo = KuboRPCClient(baseURL: settings.ipfsKitKuboAPI, timeout: settings.operationTimeout)
        clusterURL = settings.clusterAPI
        replication = settings.clusterReplication
        timeout = settings.operationTimeout
        probeTimeout = settings.probeTimeout
    }

    /// (Kubo version, cluster peer id, explanation), probed at most once a second.
    func endpoints() async -> (String?, String?, String) {
        if let c = lock.withLock({ cached }), Date().timeIntervalSince(c.at) < 1 { return (c.kubo, c.cluster, c.why) }
        // Both endpoints are probed at once, so an unreachable pair costs one probe timeout.
        let kuboProbe = KuboRPCClient(baseURL: kubo.baseURL, timeout: probeTimeout, client: kubo.client)
        async let kuboAnswer: Result<String, any Error> = { do { return .success(try await kuboProbe.version()) } catch { return .failure(error) } }()
        async let clusterAnswer: Result<Data, any Error> = { do { return .success(try await self.cluster(.GET, "/id", timeout: self.probeTimeout)) } catch { return .failure(error) } }()
        var k: String?, cl: String?, why: [String] = []
        switch await kuboAnswer {
        case .success(let v): k = v; why.append("Kubo RPC at \(kubo.baseURL) (version \(v))")
        case .failure(let e): why.append("no Kubo RPC at \(kubo.baseURL) (\(e))")
        }
        switch await clusterAnswer {
        case .success(let d):
            struct ID: Decodable { let id: String }
            cl = (try? JSONDecoder().decode(ID.self, from: d).id) ?? "?"
            why.append("IPFS Cluster at \(clusterURL) (peer \(cl!))")
        case .failure(let e): why.append("no IPFS Cluster at \(clusterURL) (\(e))")
        }
        let r = (k, cl, why.joined(separator: "; "))
        lock.withLock { cached = (r.0, r.1, r.2, Date()) }
        return r
    }

    func forget() { lock.withLock { cached = nil } }

    public func availability() async -> BackendAvailability {
        let (k, c, why) = await endpoints()
        return k == nil && c == nil ? .unavailable(why) : .available(why)
    }

    func cluster(_ method: HTTPMethod, _ path: String, timeout t: Double? = nil) async throws -> Data {
        var req = HTTPClientRequest(url: clusterURL + path)
        req.method = method
        let t = t ?? timeout
        let resp: HTTPClientResponse
        do { resp = try await kubo.client.execute(req, timeout: .milliseconds(Int64(t * 1000))) } catch {
            throw BackendError.unavailable("IPFS Cluster at \(clusterURL): \(TransportFailure(error).describe())")
        }
        let body = try await kubo.collect(resp, limit: 16 << 20)
        if resp.status == .notFound { throw BackendError.notFound(path) }
        guard (200..<300).contains(Int(resp.status.code)) else {
            throw BackendError.failed("IPFS Cluster \(method) \(path): HTTP \(resp.status.code): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return body
    }

    /// Data operations need the Kubo endpoint.
    func data<T>(_ body: () async throws -> T) async throws -> T {
        let (k, _, why) = await endpoints()
        guard k != nil else { throw BackendError.unavailable("ipfs_kit has no Kubo RPC for data: \(why)") }
        do { return try await body() } catch let e as BackendError {
            if case .notFound = e {} else { forget() }
            throw e
        }
    }

    var replicationQuery: String {
        guard let r = replication else { return "" }
        return "?replication-min=\(r)&replication-max=\(r)"
    }

    public func pin(_ cid: String) async throws {
        let (k, c, why) = await endpoints()
        if c != nil { _ = try await cluster(.POST, "/pins/\(cid)\(replicationQuery)"); return }
        guard k != nil else { throw BackendError.unavailable(why) }
        try await kubo.pinAdd(cid)
    }

    public func unpin(_ cid: String) async throws {
        let (k, c, why) = await endpoints()
        if c != nil { _ = try await cluster(.DELETE, "/pins/\(cid)"); return }
        guard k != nil else { throw BackendError.unavailable(why) }
        try await kubo.pinRm(cid)
    }

    public func pins() async throws -> [String] {
        let (k, c, why) = await endpoints()
        if c != nil {
            struct Status: Decodable { let cid: CIDField }
            struct CIDField: Decodable {
                let value: String
                init(from d: any Decoder) throws {
                    if let s = try? d.singleValueContainer().decode(String.self) { value = s; return }
                    struct L: Decodable { let slash: String; enum CodingKeys: String, CodingKey { case slash = "/" } }
                    value = try d.singleValueContainer().decode(L.self).slash
                }
            }
            let d = try await cluster(.GET, "/pins")
            return d.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(Status.self, from: Data($0)).cid.value }.sorted()
        }
        guard k != nil else { throw BackendError.unavailable(why) }
        return try await kubo.pinLs()
    }

    /// Adds through Kubo, then pins through the cluster so the pin is replicated.
    func addThenPin(_ form: MultipartForm, options: AddOptions, pin: Bool) async throws -> String {
        let (_, c, _) = await endpoints()
        let cid = try await data { try await kubo.add(form, options: options, pin: pin && c == nil).last!.Hash }
        if pin && c != nil { _ = try await cluster(.POST, "/pins/\(cid)\(replicationQuery)") }
        return cid
    }

    public func addBytes(_ bytes: Data, pin: Bool) async throws -> String {
        var form = MultipartForm()
        form.addData(bytes, filename: "data")
        return try await addThenPin(form, options: .kuboDefault, pin: pin)
    }

    public func addPath(_ path: String, recursive: Bool, pin: Bool, options: AddOptions) async throws -> String {
        var form = MultipartForm()
        try form.addTree(path, includeHidden: options.includeHidden)
        return try await addThenPin(form, options: options, pin: pin)
    }

    public func cat(_ cid: String) async throws -> Data { try await data { try await kubo.collect(try await kubo.cat(cid, range: nil)) } }
    public func catStream(_ cid: String, range: ByteRange?) async throws -> AsyncThrowingStream<Data, any Error> {
        try await data { kubo.stream(try await kubo.cat(cid, range: range)) }
    }
    public func blockPut(_ bytes: Data, codec: String) async throws -> String { try await data { try await kubo.blockPut(bytes, codec: codec) } }
    public func blockGet(_ cid: String) async throws -> Data { try await data { try await kubo.blockGet(cid) } }
    public func getToPath(_ cid: String, outputPath: String) async throws {
        try await data {
            let resp = try await kubo.get(cid)
            try await writeAtomically(outputPath) { tmp in
                var tar = TarExtractor(outputPath: tmp)
                for try await chunk in kubo.stream(resp) { try tar.feed(chunk) }
                try tar.finish()
            }
        }
    }
    public func ls(_ cid: String) async throws -> [LsEntry] { try await data { try await kubo.ls(cid) } }
    public func dagExport(_ cid: String) async throws -> AsyncThrowingStream<Data, any Error> {
        try await data { kubo.stream(try await kubo.dagExport(cid)) }
    }
    public func dagImport(_ car: Data, pinRoots: Bool) async throws -> [String] { try await data { try await kubo.dagImport(car, pinRoots: pinRoots) } }
}
