import AsyncHTTPClient
import BlockStore
import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import Multiformats
import NIOCore
import NIOHTTP1
import NIOPosix
import UnixFS
import Primitives

/// What a source says about one file (from a HEAD, a 3xx or a GET's headers).
struct UpstreamFileMeta: Sendable {
    var commit: String?
    var etag: String?
    var linkedEtag: String?
    var linkedSize: Int64?
    var contentLength: Int64?
    /// Where the bytes are: the resolve URL, or the other origin a source redirected to.
    var downloadURL: String

    var size: Int64? { linkedSize ?? contentLength }
    var isLFS: Bool { linkedEtag != nil }
    /// sha256 (64 hex) or git blob sha1 (40 hex) the bytes must hash to.
    var expectedHash: String? { [linkedEtag, etag].compactMap { $0 }.first { Hex.isLowercase($0, count: 64) || Hex.isLowercase($0, count: 40) } }

    static func strip(_ etag: String?) -> String? {
        guard var e = etag?.trimmingCharacters(in: .whitespaces), !e.isEmpty else { return nil }
        if e.hasPrefix("W/") { e.removeFirst(2) }
        return e.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
    }

    mutating func absorb(_ h: HTTPHeaders, status: Int) {
        if let c = h.first(name: "X-Repo-Commit") { commit = c }
        if let e = Self.strip(h.first(name: "X-Linked-Etag")) { linkedEtag = e }
        if let s = h.first(name: "X-Linked-Size").flatMap({ Int64($0) }) { linkedSize = s }
        // A 3xx's own ETag and length describe the redirect, not the file.
        if (200..<300).contains(status) {
            if let e = Self.strip(h.first(name: "ETag")) { etag = e }
            if status == 200, let l = h.first(name: "Content-Length").flatMap({ Int64($0) }) { contentLength = l }
        } else if etag == nil, let e = Self.strip(h.first(name: "ETag")), Hex.isLowercase(e, count: 64) || Hex.isLowercase(e, count: 40) {
            etag = e
        }
    }
}

/// One upstream download per file at a time: the first request leads, the others wait for it and
/// are then served from the store. When the source refused the leader (an error status, unreachable,
/// bytes that failed verification) the waiters get that answer too instead of each asking again.
actor DownloadRegistry {
    enum Claim: Equatable {
        /// The caller leads and must call `done`.
        case lead
        /// A leader finished: look in the store again; `failure` says why the source refused it.
        case followed(failure: String?)
    }

    private var waiting: [String: [CheckedContinuation<String?, Never>]] = [:]

    func claim(_ key: String) async -> Claim {
        if waiting[key] == nil { waiting[key] = []; return .lead }
        let failure = await withCheckedContinuation { waiting[key, default: []].append($0) }
        return .followed(failure: failure)
    }

    /// Leads only if nobody does (a background mirror never waits for another download).
    func tryClaim(_ key: String) -> Bool {
        if waiting[key] != nil { return false }
        waiting[key] = []
        return true
    }

    func done(_ key: String, failure: String? = nil) {
        for w in waiting.removeValue(forKey: key) ?? [] { w.resume(returning: failure) }
    }
}

/// The database half of the single flight: one hub process on a shared database downloads a file,
/// the others wait for its lease to go and then serve the stored copy. The leader renews the lease
/// while it downloads; a leader that dies stops renewing and its lease expires.
struct SharedDownloadLease: Sendable {
    static let owner = UUID().uuidString
    static let ttlMillis: Int64 = 30_000
    static let renewEvery = Duration.seconds(10)
    static let pollEvery = Duration.milliseconds(200)

    let database: HubDatabase
    let key: String

    /// True when this process now leads. A database that cannot answer does not block downloads.
    func claim() async -> Bool {
        (try? await database.claimLease(key: key, owner: Self.owner, ttlMillis: Self.ttlMillis)) ?? true
    }

    /// Waits while another process holds the lease (at most `limit`).
    func waitForOtherLeader(limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, (try? await database.leaseHeld(key: key)) == true {
            try? await Task.sleep(for: Self.pollEvery)
        }
    }

    func renewing() -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.renewEvery)
                if Task.isCancelled { return }
                _ = try? await database.renewLease(key: key, owner: Self.owner, ttlMillis: Self.ttlMillis)
            }
        }
    }

    func release() async { try? await database.releaseLease(key: key, owner: Self.owner) }
}

/// Ends a lead exactly once, even when the response body is never run (client gone before it started).
final class DownloadLease: Sendable {
    let registry: DownloadRegistry
    let upstream: UpstreamClient
    let key: String
    let shared: SharedDownloadLease
    let renewal: Task<Void, Never>
    let holdsGate = Locked(false)
    let ended = Locked(false)
    /// Why the source refused this download, passed to the requests waiting for it.
    let failure = Locked<String?>(nil)

    func fail(_ why: String) { failure.withLock { if $0 == nil { $0 = why } } }

    init(registry: DownloadRegistry, upstream: UpstreamClient, key: String, shared: SharedDownloadLease) {
        self.registry = registry; self.upstream = upstream; self.key = key; self.shared = shared
        self.renewal = shared.renewing()
    }

    func end() {
        let first = ended.withLock { (was: inout Bool) -> Bool in defer { was = true }; return !was }
        guard first else { return }
        renewal.cancel()
        let gate = holdsGate.withLock { (h: inout Bool) -> Bool in defer { h = false }; return h }
        let registry = registry, upstream = upstream, key = key, shared = shared
        let failure = failure.withLock { $0 }
        Task {
            if gate { await upstream.release() }
            await shared.release()
            await registry.done(key, failure: failure)
        }
    }

    deinit { end() }
}

/// A file of a repo that is not here: served from the mirror when it was pulled through before,
/// else from the source (HEAD, ranges, redirects) and pulled through into the store.
extension FallbackController {
    func resolve(_ service: FallbackService, _ type: RepoType, _ ns: String, _ name: String,
                         revision: String, path: String, _ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let ttl = Int64(service.settings.cacheTTL)
        // 1. Served here without asking anyone: a commit id, or a revision looked up within the TTL.
        var knownRef: MirroredRefRecord?
        if !Hex.isLowercase(revision, count: 40) {
            knownRef = try? await service.database.mirroredRef(type: type, namespace: ns, name: name, revision: revision)
        }
        if let commit = Hex.isLowercase(revision, count: 40) ? revision : knownRef.flatMap({ FallbackService.now() - $0.updatedAt < ttl ? $0.commitID : nil }),
           let response = try await localMirrored(service, type, ns, name, commit, path, request, started) {
            return response
        }
        // 2. Bind; with every source down, whatever the mirror holds still answers (offline).
        let source: FallbackSource
        switch await service.bind(type, ns, name) {
        case .failed(let failure):
            if failure.cause == .unavailable, let commit = knownRef?.commitID,
               let response = try await localMirrored(service, type, ns, name, commit, path, request, started) {
                return response
            }
            throw failure
        case .bound(let s): source = s
        }
        let commit: String
        do {
            commit = try await service.commit(for: revision, source, type, ns, name)
        } catch let error as UpstreamUnreachable {
            if let stale = knownRef?.commitID, let response = try await localMirrored(service, type, ns, name, stale, path, request, started) {
                return response
            }
            throw HubError(.badGateway, code: .badGateway, "\(source.name) could not be reached: \(error)")
        }
        if let response = try await localMirrored(service, type, ns, name, commit, path, request, started) { return response }

        let resolveURL = SourceURLs.resolve(source, type, ns, name, revision: commit, path: path)
        if request.method == .head {
            let meta = try await fileMeta(service, source, resolveURL)
            return metaResponse(meta, commit: commit, source: source, request, started: started)
        }
        let key = "\(type.rawValue)|\(ns)/\(name)|\(commit)|\(path)"
        if let range = request.headers[.range] {
            // The range comes from the source at once; unless redirecting, the whole file is mirrored
            // meanwhile (one download per file, as for whole GETs), so the next request is served here.
            if service.settings.mode != .redirect {
                startBackgroundMirror(service, source, resolveURL, key: key, type, ns, name, commit, path)
            }
            return try await proxyRange(service, source, resolveURL, range: range, commit: commit, request, started: started)
        }
        if service.settings.mode == .redirect {
            let meta = try await fileMeta(service, source, resolveURL)
            // Only to another origin the source itself chose (a signed URL); never to the source with our token.
            if meta.downloadURL != resolveURL || (source.token == nil && source.sourceType == .hub) {
                var headers = HTTPFields()
                headers[.location] = meta.downloadURL
                fileHeaders(&headers, meta, commit: commit)
                sourceHeaders(&headers, name: source.name, url: source.url, started: started)
                headers[.contentLength] = "0"
                return Response(status: .found, headers: headers, body: .init())
            }
        }
        // 3. Pull through: one download per file; followers are served from the store once it is in.
        // Followers in this process wait on the registry; other processes on the shared database, on its lease.
        let shared = SharedDownloadLease(database: service.database, key: key)
        for _ in 0..<3 {
            switch await service.downloads.claim(key) {
            case .lead:
                if await shared.claim() {
                    let lease = DownloadLease(registry: service.downloads, upstream: service.upstream, key: key, shared: shared)
                    return try await pullThrough(service, source, resolveURL, lease: lease, type, ns, name, commit, path, request, started)
                }
                await shared.waitForOtherLeader(limit: .seconds(600))
                await service.downloads.done(key)
            case .followed(let failure):
                if let response = try await localMirrored(service, type, ns, name, commit, path, request, started) { return response }
                if let failure {
                    throw HubError(.badGateway, code: .badGateway, "\(path) from \(source.name): \(failure) (the same download failed for a concurrent request)")
                }
                continue
            }
            if let response = try await localMirrored(service, type, ns, name, commit, path, request, started) { return response }
        }
        throw HubError(.badGateway, code: .badGateway, "Downloading \(path) from \(source.name) failed; try again")
    }

    /// The mirrored copy of a file, if it was pulled through before and its content is still in the store.
    func localMirrored(_ service: FallbackService, _ type: RepoType, _ ns: String, _ name: String, _ commit: String, _ path: String,
                       _ request: Request, _ started: ContinuousClock.Instant) async throws -> Response? {
        guard let m = try await service.database.mirroredFile(type: type, namespace: ns, name: name, commitID: commit, path: path),
              content.contains(cid: m.cid) else { return nil }
        // LRU order in milliseconds; written at most once a minute per file so hits stay read-only.
        let now = FallbackService.nowMillis()
        if now - m.lastAccess > 60_000 { try? await service.database.touchMirroredContent(cid: m.cid, at: now) }
        let file = FileRecord(path: m.path, size: m.size, gitOID: m.gitOID, sha256: m.sha256, isLFS: m.isLFS, cid: m.cid)
        var response = try await downloads.response(file, commit: commit, request)
        sourceHeaders(&response.headers, name: m.sourceName, url: m.sourceURL, started: started)
        return response
    }

    func fileHeaders(_ headers: inout HTTPFields, _ meta: UpstreamFileMeta, commit: String) {
        headers[.xRepoCommit] = meta.commit ?? commit
        if let e = meta.linkedEtag ?? meta.etag { headers[.eTag] = "\"\(e)\"" }
        if let l = meta.linkedEtag { headers[.xLinkedEtag] = "\"\(l)\"" }
        if let s = meta.linkedSize { headers[.xLinkedSize] = String(s) }
        headers[.acceptRanges] = "bytes"
    }

    /// The file's metadata at the source: a HEAD, following same-origin redirects; a redirect to another
    /// origin carries the metadata itself. One HEAD per file at a time, remembered for the TTL.
    func fileMeta(_ service: FallbackService, _ source: FallbackSource, _ resolveURL: String) async throws -> UpstreamFileMeta {
        if let cached = service.headCache.withLock({ $0[resolveURL] }), cached.1 > .now { return cached.0 }
        let meta = try await service.heads.run(resolveURL) {
            var meta = UpstreamFileMeta(downloadURL: resolveURL)
            var url = resolveURL
            for _ in 0..<5 {
                let reply: UpstreamReply
                do { reply = try await service.upstream.fetch(.HEAD, url, source: source) } catch {
                    throw HubError(.badGateway, code: .badGateway, "\(source.name) could not be reached: \(error)")
                }
                meta.absorb(reply.headers, status: reply.status)
                if (300..<400).contains(reply.status), let loc = reply.headers.first(name: "Location"),
                   let target = URL(string: loc, relativeTo: URL(string: url))?.absoluteString {
                    meta.downloadURL = target
                    if SourceURLs.origin(target) != SourceURLs.origin(source.url) { return meta }
                    url = target
                    continue
                }
                guard (200..<300).contains(reply.status) else { throw FallbackService.passOn(reply, source) }
                return meta
            }
            throw HubError(.badGateway, code: .badGateway, "\(source.name) redirected too often for \(resolveURL)")
        }
        let ttl = Duration.milliseconds(Int64(service.settings.cacheTTL * 1000))
        service.headCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[resolveURL] = (meta, .now + ttl)
        }
        return meta
    }

    func metaResponse(_ meta: UpstreamFileMeta, commit: String, source: FallbackSource, _ request: Request,
                      started: ContinuousClock.Instant) -> Response {
        var headers = HTTPFields()
        fileHeaders(&headers, meta, commit: commit)
        headers[.contentType] = "application/octet-stream"
        if let size = meta.size { headers[.contentLength] = String(size) }
        sourceHeaders(&headers, name: source.name, url: source.url, started: started)
        return Response(status: .ok, headers: headers, body: .init())
    }

    /// Opens the bytes of a file at a source, following redirects by hand so the token stays on the source's origin.
    func openDownload(_ service: FallbackService, _ source: FallbackSource, _ resolveURL: String, range: String?)
        async throws -> (HTTPClientResponse, UpstreamFileMeta) {
        var meta = UpstreamFileMeta(downloadURL: resolveURL)
        var url = resolveURL
        for _ in 0..<5 {
            let response: HTTPClientResponse
            do { response = try await service.upstream.open(url, source: source, range: range) } catch {
                throw HubError(.badGateway, code: .badGateway, "\(source.name) could not be reached: \(error)")
            }
            let status = Int(response.status.code)
            meta.absorb(response.headers, status: status)
            if (200..<300).contains(status) { meta.downloadURL = url; return (response, meta) }
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            await service.upstream.release()
            if (300..<400).contains(status), let loc = response.headers.first(name: "Location"),
               let target = URL(string: loc, relativeTo: URL(string: url))?.absoluteString {
                url = target
                continue
            }
            throw FallbackService.passOn(UpstreamReply(status: status, headers: response.headers, body: body), source)
        }
        throw HubError(.badGateway, code: .badGateway, "\(source.name) redirected too often for \(resolveURL)")
    }

    /// A byte range of a file not yet mirrored: passed through as is, nothing stored.
    func proxyRange(_ service: FallbackService, _ source: FallbackSource, _ resolveURL: String, range: String, commit: String,
                    _ request: Request, started: ContinuousClock.Instant) async throws -> Response {
        let (response, meta) = try await openDownload(service, source, resolveURL, range: range)
        let upstream = service.upstream
        var headers = HTTPFields()
        fileHeaders(&headers, meta, commit: commit)
        headers[.contentType] = "application/octet-stream"
        for name in ["Content-Range", "Content-Length"] {
            if let v = response.headers.first(name: name) { headers[HTTPField.Name(name)!] = v }
        }
        sourceHeaders(&headers, name: source.name, url: source.url, started: started)
        let length = response.headers.first(name: "Content-Length").flatMap { Int($0) }
        let body = ResponseBody(contentLength: length) { writer in
            do {
                for try await chunk in response.body { try await writer.write(chunk) }
                await upstream.release()
                try await writer.finish(nil)
            } catch {
                await upstream.release()
                throw error
            }
        }
        return Response(status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers, body: body)
    }

    /// Streams a file from the source to the client and into the store at once. The copy is recorded only
    /// when every byte arrived and hashes to the source's ETag; the last chunk is held back until then, so a
    /// client never receives a complete-looking file that failed verification.
    func pullThrough(_ service: FallbackService, _ source: FallbackSource, _ resolveURL: String, lease: DownloadLease,
                     _ type: RepoType, _ ns: String, _ name: String, _ commit: String, _ path: String,
                     _ request: Request, _ started: ContinuousClock.Instant) async throws -> Response {
        let opened: (HTTPClientResponse, UpstreamFileMeta)
        do {
            opened = try await openDownload(service, source, resolveURL, range: nil)
        } catch {
            lease.fail((error as? HubError)?.message ?? "\(error)")
            lease.end()
            throw error
        }
        let (response, meta) = opened
        lease.holdsGate.withLock { $0 = true }
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        var headers = HTTPFields()
        fileHeaders(&headers, meta, commit: commit)
        headers[.contentType] = "application/octet-stream"
        headers[.cacheControl] = "private, max-age=0, must-revalidate"
        if let length { headers[.contentLength] = String(length) }
        sourceHeaders(&headers, name: source.name, url: source.url, started: started)
        // An LFS file is checked against its sha256 and listed in git as a pointer: no content sha1 needed.
        let lfs = meta.isLFS && meta.expectedHash.map { Hex.isLowercase($0, count: 64) } == true
        let writing = content.blocks.beginWrite()   // until the copy is recorded: a gc meanwhile spares it
        let store = PipelinedContentWriter(store: content, expectedSize: length, treeBlob: lfs ? .lfsPointer : .content)
        let logger = self.logger
        let metrics = self.metrics
        let mirror = MirrorCopy(fallback: self, service: service, source: source, type: type, namespace: ns, name: name, commit: commit, path: path)
        let body = ResponseBody(contentLength: length.map(Int.init)) { writer in
            defer { lease.end() }  // after `keep`: followers then find the recorded copy
            defer { writing.end() }
            var held: ByteBuffer?
            func send(_ batch: ByteBuffer) async throws {
                try await writer.write(batch)
                metrics.sent(batch.readableBytes, kind: "pull_through")
            }
            do {
                // Hashing and storing run on other threads; this loop only relays bytes, gathered into
                // batches of about a MiB so that per-chunk costs (hops, locks) are paid 16x less often.
                var batches = ChunkBatches(size: Self.relayBatch)
                for try await chunk in response.body {
                    guard let batch = batches.add(chunk) else { continue }
                    try await store.append(batch)
                    if let previous = held { try await send(previous) }
                    held = batch
                }
                if let batch = batches.rest() {
                    try await store.append(batch)
                    if let previous = held { try await send(previous) }
                    held = batch
                }
            } catch {
                metrics.pullThrough(source: source.name, outcome: "cut")
                store.abort()
                logger.warning("pull-through of \(ns)/\(name)/\(path) from \(source.name) cut: \(error)")
                throw error
            }
            let stored: StoredContent
            // Verified now, made durable after the client has its last bytes: the flush is not on its path.
            do { stored = try await store.finish(durable: false) } catch {
                // Unstored means unverified: the held-back last chunk is not sent, the client sees a short body.
                metrics.pullThrough(source: source.name, outcome: "not_stored")
                logger.error("pull-through of \(ns)/\(name)/\(path) from \(source.name): cannot store: \(error)")
                throw HubError(.badGateway, code: .badGateway, "\(path) from \(source.name) could not be stored: \(error)")
            }
            try await mirror.verify(stored, meta, length: length, lease: lease, writing: writing)
            if let held { try await send(held) }
            try await writer.finish(nil)
            await mirror.keep(stored, meta)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// A whole-file download for the mirror alone (a Range request was answered from the source).
    func startBackgroundMirror(_ service: FallbackService, _ source: FallbackSource, _ resolveURL: String, key: String,
                               _ type: RepoType, _ ns: String, _ name: String, _ commit: String, _ path: String) {
        Task {
            guard await service.downloads.tryClaim(key) else { return }
            let shared = SharedDownloadLease(database: service.database, key: key)
            guard await shared.claim() else { await service.downloads.done(key); return }
            let lease = DownloadLease(registry: service.downloads, upstream: service.upstream, key: key, shared: shared)
            defer { lease.end() }
            do {
                let (response, meta) = try await openDownload(service, source, resolveURL, range: nil)
                lease.holdsGate.withLock { $0 = true }
                let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
                let lfs = meta.isLFS && meta.expectedHash.map { Hex.isLowercase($0, count: 64) } == true
                let writing = content.blocks.beginWrite()
                defer { writing.end() }
                let store = PipelinedContentWriter(store: content, expectedSize: length, treeBlob: lfs ? .lfsPointer : .content)
                do {
                    for try await chunk in response.body { try await store.append(chunk) }
                } catch {
                    store.abort()
                    throw error
                }
                let stored = try await store.finish(durable: false)
                let mirror = MirrorCopy(fallback: self, service: service, source: source, type: type, namespace: ns, name: name, commit: commit, path: path)
                try await mirror.verify(stored, meta, length: length, lease: lease, writing: writing)
                await mirror.keep(stored, meta)
            } catch {
                logger.warning("background mirror of \(ns)/\(name)/\(path) from \(source.name) stopped: \(error)")
            }
        }
    }

    static let relayBatch = 1 << 20

    /// Evicts least recently used, unpinned pulled-through content until the total is under the cap.
    func enforceCap(_ cap: Int64, keep: String) async {
        guard var used = try? await database.mirroredUnpinnedBytes(), used > cap else { return }
        guard let candidates = try? await database.mirroredEvictionCandidates(limit: 1000) else { return }
        for (cid, size) in candidates where used > cap && cid != keep {
            if (try? await database.forgetMirroredContent(cid: cid)) == true {
                // A failure here leaves blocks behind (gc removes them later), never deletes shared ones.
                try? await removeMirroredBlocks(cid)
            }
            used -= size
        }
    }

    /// Removes the blocks of a mirrored copy (evicted, or failed verification) that no live root
    /// reaches, sparing writes in flight; the cutoff is read before the roots (see BlockStoring).
    func removeMirroredBlocks(_ cid: String) async throws {
        let content = self.content
        let cutoff = content.blocks.collectionCutoff()
        let live = try await liveRoots()
        try await runBlocking { try content.removeContent(cid: cid, liveRoots: live, sparingWritesSince: cutoff) }
    }

    /// Everything that must keep its blocks: what the database refers to, and the node's pins.
    func liveRoots() async throws -> [CID] {
        try await database.referencedCIDs().compactMap { try? CID($0) } + pinnedRoots()
    }
}

extension ContentStore {
    /// Drops the blocks of a pulled-through file (evicted, or failed verification) that nothing else
    /// reaches: a block stays while any live root's DAG holds it (another file sharing a 1 MiB chunk, a
    /// commit, an LFS object, a pin). Raw leaves are never read to be marked or swept: only inner nodes
    /// have links. A live DAG that cannot be read stops the removal before anything is deleted.
    /// Reads and deletes blocks synchronously: call it off the cooperative pool (`runBlocking`).
    package func removeContent(cid: String, liveRoots: [CID], sparingWritesSince cutoff: Date? = nil) throws {
        let cutoff = cutoff ?? blocks.collectionCutoff()
        guard let root = try? CID(cid) else { return }
        let live = try reachableBlocks(from: liveRoots, in: blocks, links: DagLinks.links(of:block:))
        var seen = Set<CID>()
        var stack = [root]
        while let c = stack.popLast() {
            guard seen.insert(c).inserted, !live.contains(c.multihash) else { continue }
            if c.codec != .raw, let data = try? blocks.get(c) { stack += (try? DagLinks.links(of: c, block: data)) ?? [] }
            _ = try blocks.delete(c, unlessWrittenSince: cutoff)
        }
        try blocks.sync()
    }
}

/// The end of a download for the mirror: check the bytes against the source's hash, then make the copy
/// durable and record it (a record never names blocks a crash could lose).
struct MirrorCopy: Sendable {
    let fallback: FallbackController
    let service: FallbackService
    let source: FallbackSource
    let type: RepoType, namespace: String, name: String, commit: String, path: String

    /// `writing` is the copy's write session: ended before a failed copy is removed, which would
    /// otherwise spare the copy's own blocks.
    func verify(_ stored: StoredContent, _ meta: UpstreamFileMeta, length: Int64?, lease: DownloadLease, writing: WriteSession) async throws {
        let expected = meta.expectedHash
        guard stored.size == (length ?? stored.size) && (expected == stored.sha256 || expected == stored.gitSHA1) else {
            fallback.logger.error("pull-through of \(namespace)/\(name)/\(path) from \(source.name): \(stored.size) bytes hash to sha256 \(stored.sha256) / git \(stored.gitSHA1), the source said \(expected ?? "nothing"); not kept")
            if !((try? await service.database.isContentReferenced(cid: stored.cid)) ?? true) {
                do {
                    writing.end()
                    try await fallback.removeMirroredBlocks(stored.cid)
                } catch {
                    fallback.logger.error("pull-through of \(path): the unverified copy was kept on disk (unreferenced): \(error)")
                }
            }
            fallback.metrics.pullThrough(source: source.name, outcome: "failed_verification")
            lease.fail("the bytes failed verification")
            throw HubError(.badGateway, code: .badGateway, "\(path) from \(source.name) failed verification")
        }
    }

    func keep(_ stored: StoredContent, _ meta: UpstreamFileMeta) async {
        do {
            let blocks = fallback.content.blocks
            try await runBlocking { try blocks.sync() }
        } catch {
            fallback.metrics.pullThrough(source: source.name, outcome: "not_stored")
            fallback.logger.error("pull-through of \(namespace)/\(name)/\(path): the copy could not be made durable, not kept: \(error)")
            return
        }
        let record = MirroredFileRecord(sourceName: source.name, sourceURL: source.url, type: type, namespace: namespace, name: name,
                                        commitID: commit, path: path, size: stored.size, gitOID: stored.gitSHA1, sha256: stored.sha256,
                                        isLFS: meta.isLFS, cid: stored.cid, lastAccess: FallbackService.nowMillis())
        do {
            try await service.database.recordMirroredFile(record)
            fallback.metrics.pullThrough(source: source.name, outcome: "stored", bytes: stored.size)
        } catch {
            fallback.metrics.pullThrough(source: source.name, outcome: "not_stored")
            fallback.logger.error("pull-through of \(path): cannot record: \(error)")
        }
        if let cap = service.settings.cacheMaxBytes {
            await fallback.enforceCap(cap, keep: stored.cid)
        }
    }
}
