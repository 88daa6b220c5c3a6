import Primitives
import Foundation
import NIOPosix
import GitSmartHTTP
import HubDatabase

/// `git push`: each pushed commit becomes a hub commit with the same id, made through the same
/// `applyCommit` as API commits (compare-and-set on the branch), so the API and git agree on history.
/// Regular files go into the store as content; LFS pointers name objects uploaded before the push
/// (git-lfs's pre-push hook does that through the batch API). The commit and tree objects are kept
/// as pushed, so clones get back exactly the ids the pusher has.
extension HubGitRepository {
    func receive(_ push: PushRequest) async throws -> [RefUpdateResult] {
        let writing = content.blocks.beginWrite()   // the pushed files' blocks are spared by gc until committed
        defer { writing.end() }
        var results: [RefUpdateResult] = []
        let current = try await refs()
        for update in push.updates {
            do {
                results.append(try await apply(update, push, current: current.refs[update.refName]))
            } catch let error as HubError {
                results.append(.rejected(error.message))
            } catch {
                results.append(.rejected("\(error)"))
            }
        }
        return results
    }

    private func apply(_ update: RefUpdate, _ push: PushRequest, current: ObjectID?) async throws -> RefUpdateResult {
        guard update.refName.hasPrefix("refs/heads/") else { return .rejected("only branches can be pushed here") }
        let branch = String(update.refName.dropFirst("refs/heads/".count))
        if let reason = update.staleReason(current: current) { return .rejected(reason) }
        if update.isDelete { return .rejected("branches are deleted through the API (delete_branch), not by push") }
        guard let hubRef = try await database.refs(repoID: repo.id).first(where: { $0.name == branch }) else {
            return .rejected("branch '\(branch)' does not exist; create it through the API (create_branch) first")
        }
        var hubHead = hubRef.commitID
        var tip = current
        for id in try await push.newCommits(update) {
            let commit = try await push.commit(id)
            guard commit.parents.count == 1, commit.parents[0] == tip else {
                return .rejected(commit.parents.count > 1 ? "merge commits are not supported; rebase instead" : "non-fast-forward")
            }
            let files = try await push.files(ofCommit: id)
            let changes = try await changes(files, push, from: hubHead)
            try await keepObjects(of: id, commit, push)
            let lines = commit.message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            let title = lines.first.map(String.init) ?? ""
            let body = lines.count > 1 ? String(lines[1]).trimmingCharacters(in: .newlines) : ""
            let record = CommitRecord(id: id.hex, repoID: repo.id, parentID: nil, title: title.isEmpty ? "(no message)" : title,
                                      message: body, author: caller.name ?? commit.author.name, createdAt: commit.committer.time)
            do {
                try await placement.replicate(changes)
                _ = try await database.applyCommit(repoID: repo.id, ref: branch, expectedHead: hubHead, commit: record, changes: changes)
            } catch HubDatabaseError.parentMismatch {
                return .rejected("fetch first")
            }
            hubHead = id.hex
            tip = id
        }
        return .ok
    }

    /// The pushed tree as changes on top of the branch head: every file put (unchanged ones keep their
    /// history), every file of the head that is gone deleted.
    private func changes(_ files: [TreeBuilder.FileEntry], _ push: PushRequest, from head: String) async throws -> [FileChange] {
        let before = try await database.files(commitID: head)
        var known: [String: FileRecord] = [:]
        for f in before { known[f.gitOID] = f }
        var changes: [FileChange] = []
        var kept = Set<String>()
        for entry in files {
            guard entry.mode == .regular || entry.mode == .executable else {
                throw HubError.badRequest("\(entry.path): symlinks and submodules cannot be stored in a hub repo")
            }
            try validateRepoPath(entry.path)
            kept.insert(entry.path)
            if var same = known[entry.id.hex] {
                same.path = entry.path
                changes.append(.put(same))
                continue
            }
            guard let blob = try await push.object(entry.id), blob.type == .blob else {
                throw HubError.badRequest("\(entry.path): blob \(entry.id) is missing from the push")
            }
            if let pointer = LFSPointer.parse(blob.data) {
                let object = try await lfs.attachable(oid: pointer.oid, size: pointer.size, caller: caller, path: entry.path)
                changes.append(.put(FileRecord(path: entry.path, size: pointer.size, gitOID: entry.id.hex, sha256: pointer.oid,
                                               isLFS: true, cid: object.cid)))
            } else {
                let stored = try await store(blob.data)
                guard stored.gitSHA1 == entry.id.hex else {
                    throw HubError.badRequest("\(entry.path): stored bytes hash to \(stored.gitSHA1), not \(entry.id)")
                }
                changes.append(.put(FileRecord(path: entry.path, size: stored.size, gitOID: stored.gitSHA1, sha256: stored.sha256,
                                               isLFS: false, cid: stored.cid)))
            }
        }
        for f in before where !kept.contains(f.path) { changes.append(.delete(path: f.path)) }
        return changes
    }

    private func store(_ bytes: [UInt8]) async throws -> StoredContent {
        let content = self.content
        return try await runBlocking {
            let writer = content.writer(expectedSize: Int64(bytes.count))
            try bytes.withUnsafeBytes { try writer.append($0) }
            return try writer.finish()
        }
    }

    /// Keeps the commit, its trees and its LFS pointer blobs as pushed.
    private func keepObjects(of id: ObjectID, _ commit: Commit, _ push: PushRequest) async throws {
        var keep: [(id: String, type: String, data: [UInt8])] = []
        guard let raw = try await push.object(id) else { throw HubError.badRequest("commit \(id) is missing from the push") }
        keep.append((id.hex, "commit", raw.data))
        var pending = [commit.tree]
        var seen = Set<ObjectID>()
        while let treeID = pending.popLast() {
            guard seen.insert(treeID).inserted, let tree = try await push.object(treeID), tree.type == .tree else { continue }
            keep.append((treeID.hex, "tree", tree.data))
            for entry in try Tree.parse(tree.data).entries {
                if entry.mode == .directory { pending.append(entry.id); continue }
                if let blob = try await push.object(entry.id), blob.type == .blob, LFSPointer.parse(blob.data) != nil {
                    keep.append((entry.id.hex, "blob", blob.data))
                }
            }
        }
        try await database.putGitObjects(repoID: repo.id, keep)
    }
}
