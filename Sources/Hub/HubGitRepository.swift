import Foundation
import NIOPosix
import GitSmartHTTP
import HubDatabase
import UnixFS
import Primitives

/// A hub repo as git sees it. Each hub commit is one git commit: its tree is built from the commit's
/// file list (blob ids are the files' git oids: the content's for regular files, the pointer's for
/// LFS files), its parent is the git commit of the hub parent, and author, time and message come from
/// the commit record. The objects are derived, not stored, and the derivation is deterministic, so
/// every hub process (and every clone) sees the same ids.
final class HubGitRepository: GitRepository {
    let repo: RepoRecord
    let database: HubDatabase
    let content: ContentStore
    /// Who pushes: LFS objects a push names must be ones this caller may attach.
    let caller: Caller
    /// Pushed content is copied to the store backend before its commit lands.
    let placement: ContentPlacement
    /// Pushed LFS pointers must name objects the pusher may attach.
    let lfs: LFSController

    /// What one hub commit becomes in git. Hub commits never change, so this is cached for the process.
    struct Derived: Sendable {
        var commit: ObjectID
        var objects: [ObjectID: GitObject]   // the commit, its trees, blobs made here
        var blobs: [ObjectID: FileRecord]
        /// The hub parent commit, to walk a history without asking the database again.
        var parent: String?
    }

    /// git-lfs replaces pointers with content only for paths `.gitattributes` marks `filter=lfs`. The
    /// Hub seeds every repo with such a file; repos made here may lack it, so a commit with LFS files
    /// and no `.gitattributes` gets one in git, naming exactly its LFS paths.
    static func lfsAttributes(_ files: [FileRecord]) -> [UInt8]? {
        guard !files.contains(where: { $0.path == ".gitattributes" }) else { return nil }
        let lfs = files.filter(\.isLFS).map(\.path).sorted()
        guard !lfs.isEmpty else { return nil }
        var text = ""
        for path in lfs {
            let plain = path.allSatisfy { $0.isLetter || $0.isNumber || "/._-".contains($0) }
            let pattern = plain ? "/" + path : "\"/" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            text += "\(pattern) filter=lfs diff=lfs merge=lfs -text\n"
        }
        return Array(text.utf8)
    }
    private static let cache = Locked([String: Derived]())
    private static let cacheLimit = 20_000

    /// The objects reachable from the refs advertised in this request.
    private let reachable = Locked((objects: [ObjectID: GitObject](), blobs: [ObjectID: FileRecord]()))

    init(repo: RepoRecord, database: HubDatabase, content: ContentStore, placement: ContentPlacement,
         lfs: LFSController, caller: Caller) {
        self.repo = repo
        self.database = database
        self.content = content
        self.placement = placement
        self.lfs = lfs
        self.caller = caller
    }

    /// Hub refs: branches by name ("main"), pull requests as "refs/pr/N".
    static func gitRefName(_ hubName: String) -> String {
        hubName.hasPrefix("refs/") ? hubName : "refs/heads/\(hubName)"
    }

    func refs() async throws -> RefSnapshot {
        var refs: [String: ObjectID] = [:]
        for ref in try await database.refs(repoID: repo.id) {
            refs[Self.gitRefName(ref.name)] = try await derive(ref.commitID)
        }
        loaded.withLock { $0 = true }
        return RefSnapshot(refs: refs, head: "refs/heads/main")
    }

    /// The git commit id of a hub commit, deriving it and its ancestors not derived yet.
    private func derive(_ hubCommitID: String) async throws -> ObjectID {
        // Oldest first: each commit needs its parent's id. Walk down until a cached ancestor.
        var chain: [CommitRecord] = []
        var next: String? = hubCommitID
        while let id = next, Self.cache.withLock({ $0[id] }) == nil {
            guard let record = try await database.commit(id: id) else {
                throw HubError(.internalServerError, code: .gitHistoryBroken, "commit \(id) of \(repo.namespace)/\(repo.name) is missing from the database")
            }
            chain.append(record)
            next = record.parentID
        }
        for record in chain.reversed() {
            let files = try await database.files(commitID: record.id)
            let derived: Derived
            if let pushed = try await pushedObjects(record, files: files) {
                derived = pushed
            } else {
                let parent = record.parentID.flatMap { id in Self.cache.withLock { $0[id]?.commit } }
                derived = try Self.derive(record, files: files, parent: parent)
            }
            Self.cache.withLock { cache in
                if cache.count > Self.cacheLimit { cache.removeAll() }
                cache[record.id] = derived
            }
        }
        // Collect what this ref reaches, for `object(_:)`.
        var id: String? = hubCommitID
        var tip: ObjectID?
        while let current = id, let derived = Self.cache.withLock({ $0[current] }) {
            if tip == nil { tip = derived.commit }
            let known = reachable.withLock { state -> Bool in
                if state.objects[derived.commit] != nil { return true }
                state.objects.merge(derived.objects) { a, _ in a }
                state.blobs.merge(derived.blobs) { a, _ in a }
                return false
            }
            if known { break }
            id = derived.parent
        }
        guard let tip else {
            throw HubError(.internalServerError, code: .gitHistoryBroken, "commit \(hubCommitID) could not be derived")
        }
        return tip
    }

    static func derive(_ record: CommitRecord, files: [FileRecord], parent: ObjectID?) throws -> Derived {
        var entries: [TreeBuilder.FileEntry] = []
        var blobs: [ObjectID: FileRecord] = [:]
        for file in files {
            guard let id = ObjectID(hex: file.gitOID) else {
                throw HubError(.internalServerError, code: .gitHistoryBroken, "\(file.path) has no git object id")
            }
            entries.append(TreeBuilder.FileEntry(path: file.path, id: id))
            blobs[id] = file
        }
        var made: [ObjectID: GitObject] = [:]
        if let attributes = lfsAttributes(files) {
            let blob = GitObject.blob(attributes)
            made[blob.id] = blob
            entries.append(TreeBuilder.FileEntry(path: ".gitattributes", id: blob.id))
        }
        let tree: TreeBuilder.Result
        do { tree = try TreeBuilder.build(entries) } catch {
            throw HubError(.internalServerError, code: .gitHistoryBroken, "the files of commit \(record.id) do not form a git tree: \(error)")
        }
        let who = record.author.isEmpty ? "hub" : record.author
        let signature = Signature(name: who, email: "\(who)@users.noreply.ipfs-accelerate", time: record.createdAt)
        var message = record.title
        if !record.message.isEmpty { message += "\n\n" + record.message }
        let commit = Commit(tree: tree.rootID, parents: parent.map { [$0] } ?? [], author: signature, committer: signature,
                            message: message.hasSuffix("\n") ? message : message + "\n")
        var objects = tree.trees.merging(made) { a, _ in a }
        objects[commit.id] = commit.object
        return Derived(commit: commit.id, objects: objects, blobs: blobs, parent: record.parentID)
    }

    /// A fetch arrives as its own HTTP request: what the refs reach is derived on first use.
    private let loaded = Locked(false)
    private func load() async throws {
        if loaded.withLock({ $0 }) { return }
        _ = try await refs()
    }

    func object(_ id: ObjectID) async throws -> GitObject? {
        try await load()
        let (object, file) = reachable.withLock { ($0.objects[id], $0.blobs[id]) }
        if let object { return object }
        guard let file else { return nil }
        if file.isLFS { return .blob(lfsPointer(sha256: file.sha256, size: file.size)) }
        let content = self.content
        let bytes = try await runBlocking { try content.exporter.read(try content.parse(file.cid)) }
        return .blob(bytes)
    }

    func hasObject(_ id: ObjectID) async throws -> Bool {
        try await load()
        return reachable.withLock { $0.objects[id] != nil || $0.blobs[id] != nil }
    }

    /// A commit that arrived by `git push` is served as pushed: its commit and tree objects (and LFS
    /// pointers) were kept; regular blobs are the files' content.
    private func pushedObjects(_ record: CommitRecord, files: [FileRecord]) async throws -> Derived? {
        let hubCommitID = record.id
        guard let raw = try await database.gitObject(repoID: repo.id, id: hubCommitID), raw.type == "commit",
              let id = ObjectID(hex: hubCommitID) else { return nil }
        var objects: [ObjectID: GitObject] = [id: GitObject(type: .commit, data: raw.data)]
        var pending = [try Commit.parse(raw.data).tree]
        while let treeID = pending.popLast() {
            guard objects[treeID] == nil, let t = try await database.gitObject(repoID: repo.id, id: treeID.hex) else { continue }
            objects[treeID] = GitObject(type: .tree, data: t.data)
            for entry in try Tree.parse(t.data).entries {
                if entry.mode == .directory { pending.append(entry.id); continue }
                if let blob = try await database.gitObject(repoID: repo.id, id: entry.id.hex), blob.type == "blob" {
                    objects[entry.id] = GitObject(type: .blob, data: blob.data)
                }
            }
        }
        var blobs: [ObjectID: FileRecord] = [:]
        for file in files { if let b = ObjectID(hex: file.gitOID) { blobs[b] = file } }
        return Derived(commit: id, objects: objects, blobs: blobs, parent: record.parentID)
    }
}
