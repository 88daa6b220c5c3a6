import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HubDatabase
import NIOCore
import Primitives

/// `POST /api/{t}/{ns}/{name}/commit/{rev}`: the body streams into the store as it arrives, and the
/// commit lands in one database transaction against the branch head it names (`parent_commit`).
struct CommitController: Sendable {
    let database: HubDatabase
    let content: ContentStore
    let placement: ContentPlacement
    let repos: RepoAccess
    /// Files committed as LFS pointers must name objects the caller uploaded (or may read).
    let lfs: LFSController
    let origin: HubOrigin
    let logger: Logger

    /// `POST /api/{t}/{ns}/{name}/commit/{rev}`: all of it lands, or none of it.
    func commit(_ type: RepoType, _ ns: String, _ name: String, revision rawRev: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.writable(type, ns, name, caller: caller)
        // Until the commit is recorded (or refused), a gc in any process spares the files it stores.
        let writing = content.blocks.beginWrite()
        defer { writing.end() }
        let createPR = request.uri.queryParameters["create_pr"].map(isTrue) ?? false
        var revision = rawRev.isEmpty ? "main" : rawRev
        if revision.hasPrefix("refs/heads/") { revision = String(revision.dropFirst("refs/heads/".count)) }
        let refs = try await database.refs(repoID: repo.id)
        guard refs.contains(where: { $0.name == revision }) else {
            throw HubError(.notFound, code: .revisionNotFound,
                           "Cannot commit to '\(revision)': it is not a branch or pull request of \(ns)/\(name)")
        }

        // Stream the body: file contents go to the store as they arrive, decoded and written off the
        // cooperative pool a batch at a time.
        let parser = OffPoolCommitParser(CommitStreamParser(store: content))
        let lines: [CommitLine]
        do {
            var batches = ChunkBatches()
            for try await buffer in request.body {
                if let batch = batches.add(buffer) { try await parser.feed(batch) }
            }
            if let batch = batches.rest() { try await parser.feed(batch) }
            lines = try await parser.finish()
        } catch let error as CommitStreamError {
            switch error {
            case .malformed(let m): throw HubError.badRequest("Malformed commit: \(m)")
            case .tooLarge(let m): throw HubError(.contentTooLarge, code: .badRequest, "Commit too large: \(m)")
            }
        }

        var summary = "Upload files", message = "", parent: String?
        var changes: [FileChange] = []
        var sawHeader = false
        for line in lines {
            switch line {
            case .header(let s, let d, let p):
                sawHeader = true
                summary = s.isEmpty ? summary : s; message = d; parent = p
            case .file(let path, let stored):
                try validateRepoPath(path)
                changes.append(.put(FileRecord(path: path, size: stored.size, gitOID: stored.gitSHA1, sha256: stored.sha256,
                                               isLFS: false, cid: stored.cid)))
            case .lfsFile(let path, let oid, let size):
                try validateRepoPath(path)
                let object = try await lfs.attachable(oid: oid, size: size, caller: caller, path: path)
                let pointer = lfsPointer(sha256: oid, size: size)
                changes.append(.put(FileRecord(path: path, size: size, gitOID: GitObjectHasher.blobHex(pointer), sha256: oid,
                                               isLFS: true, cid: object.cid)))
            case .deletedFile(let path):
                try validateRepoPath(path)
                changes.append(.delete(path: path))
            case .deletedFolder(let path):
                let p = path.hasSuffix("/") ? String(path.dropLast()) : path
                try validateRepoPath(p)
                changes.append(.deleteFolder(prefix: p + "/"))
            }
        }
        guard sawHeader else { throw HubError.badRequest("Malformed commit: the first line must be the 'header'") }

        var pullRequest: DiscussionRecord?
        if createPR {
            pullRequest = try await database.createDiscussion(repoID: repo.id, title: summary, description: message,
                                                              author: caller.name ?? "", isPullRequest: true)
            revision = "refs/pr/\(pullRequest!.num)"
            parent = nil
        }
        let record = CommitRecord(id: HubServer.newCommitID(repoID: repo.id, parent: parent, title: summary), repoID: repo.id,
                                  parentID: nil, title: summary, message: message, author: caller.name ?? "",
                                  createdAt: Int64(Date().timeIntervalSince1970))
        try await placement.replicate(changes)
        let landed: CommitRecord
        do {
            landed = try await database.applyCommit(repoID: repo.id, ref: revision, expectedHead: parent, commit: record, changes: changes)
        } catch HubDatabaseError.notFound(let what) {
            throw HubError.entryNotFound(what, commit: nil)
        } catch {
            throw HubError.from(error)
        }
        logger.info("commit \(landed.id) on \(ns)/\(name)@\(revision): \(changes.count) change(s)")
        let base = origin.repoURL(request, type, ns, name)
        var answer = CommitResultJSON(commitUrl: "\(base)/commit/\(landed.id)", commitOid: landed.id)
        if let pr = pullRequest { answer.pullRequestUrl = "\(base)/discussions/\(pr.num)" }
        return json(answer)
    }
}

/// The commit parser's steps on a dispatch thread: its base64 decoding and block writes are
/// synchronous. Steps are awaited one at a time, so the parser is never used by two threads at once
/// (`runBlocking` orders each hand-off).
final class OffPoolCommitParser: @unchecked Sendable {
    private var parser: CommitStreamParser

    init(_ parser: CommitStreamParser) { self.parser = parser }

    func feed(_ buffer: ByteBuffer) async throws {
        try await runBlocking { try self.parser.feed(buffer) }
    }

    /// The commit's lines, once the body has ended.
    func finish() async throws -> [CommitLine] {
        try await runBlocking { try self.parser.finish(); return self.parser.lines }
    }
}
