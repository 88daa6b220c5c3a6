import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import Primitives

extension HubServer {
    /// `POST /api/{t}/{ns}/{name}/commit/{rev}`: all of it lands, or none of it.
    func commit(_ type: RepoType, _ ns: String, _ name: String, revision rawRev: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await writableRepo(type, ns, name, caller: caller)
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

        // Stream the body: file contents go to the store as they arrive.
        var parser = CommitStreamParser(store: content)
        do {
            for try await buffer in request.body {
                try parser.feed(buffer)
            }
            try parser.finish()
        } catch let error as CommitStreamError {
            switch error {
            case .malformed(let m): throw HubError.badRequest("Malformed commit: \(m)")
            case .tooLarge(let m): throw HubError(.contentTooLarge, code: .badRequest, "Commit too large: \(m)")
            }
        }

        var summary = "Upload files", message = "", parent: String?
        var changes: [FileChange] = []
        var sawHeader = false
        for line in parser.lines {
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
                let object = try await attachableLFSObject(oid: oid, size: size, caller: caller, path: path)
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
        let record = CommitRecord(id: Self.newCommitID(repoID: repo.id, parent: parent, title: summary), repoID: repo.id,
                                  parentID: nil, title: summary, message: message, author: caller.name ?? "",
                                  createdAt: Int64(Date().timeIntervalSince1970))
        try await replicate(changes)
        let landed: CommitRecord
        do {
            landed = try await database.applyCommit(repoID: repo.id, ref: revision, expectedHead: parent, commit: record, changes: changes)
        } catch HubDatabaseError.notFound(let what) {
            throw HubError.entryNotFound(what, commit: nil)
        } catch {
            throw HubError.from(error)
        }
        logger.info("commit \(landed.id) on \(ns)/\(name)@\(revision): \(changes.count) change(s)")
        let base = repoURL(request, type, ns, name)
        var answer = CommitResultJSON(commitUrl: "\(base)/commit/\(landed.id)", commitOid: landed.id)
        if let pr = pullRequest { answer.pullRequestUrl = "\(base)/discussions/\(pr.num)" }
        return json(answer)
    }

    /// With a store backend, the commit's new content is copied there before the commit can land.
    func replicate(_ changes: [FileChange]) async throws {
        guard let replica else { return }
        for case .put(let file) in changes {
            do { try await replica.replicate(file.cid, from: content) } catch {
                throw HubError(.serviceUnavailable, code: .storeBackendUnavailable,
                               "The commit did not land: '\(file.path)' could not be stored on the \(replica.backend.name) backend: \(error)")
            }
        }
    }

    /// Whether content is in this machine's store, or can be brought from the store backend.
    func isStored(_ cid: String) async throws -> Bool {
        if content.contains(cid: cid) { return true }
        guard replica != nil else { return false }
        do { try await ensureLocal(cid) } catch { return false }
        return content.contains(cid: cid)
    }

    /// Before streaming a file: with a store backend, its DAG is fetched when this machine lacks it.
    func ensureLocal(_ cid: String) async throws {
        guard let replica else { return }
        do { try await replica.fetchIfMissing(cid, into: content) } catch {
            throw HubError(.badGateway, code: .storeBackendUnavailable,
                           "\(cid) is not in this machine's store and the \(replica.backend.name) backend could not provide it: \(error)")
        }
    }

    /// An LFS object may be attached only by someone who uploaded it or can read a repo that holds it.
    func attachableLFSObject(oid: String, size: Int64, caller: Caller, path: String) async throws -> LFSObjectRecord {
        let missing = HubError.badRequest("LFS object \(oid) for '\(path)' was not uploaded to this hub: upload it (LFS batch) before committing")
        guard Hex.isLowercase(oid, count: 64), let object = try await database.lfsObject(sha256: oid), try await isStored(object.cid) else { throw missing }
        guard object.size == size else {
            throw HubError.badRequest("LFS object \(oid) has size \(object.size), the commit says \(size)")
        }
        if caller.isAdmin { return object }
        if let name = caller.name, try await database.isLFSUploader(sha256: oid, userName: name) { return object }
        for repo in try await database.reposHolding(sha256: oid) where caller.canRead(repo) { return object }
        throw missing
    }
}
