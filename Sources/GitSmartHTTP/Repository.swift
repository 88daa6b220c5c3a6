/// What the protocol engine needs from a repository. The hub implements this
/// over its own store; `InMemoryRepository` is a reference implementation.
///
/// Everything is async because the hub answers from a database, and the
/// engine never assumes two calls see the same state: `receive` must do its
/// own compare-and-swap on each ref.
public protocol GitRepository: Sendable {
    /// Current refs and where HEAD points. Called once per request.
    func refs() async throws -> RefSnapshot
    /// Object by id, or nil if this repository does not have it. Must only
    /// return objects that belong to (are reachable in) this repository,
    /// because upload-pack serves whatever it returns.
    func object(_ id: ObjectID) async throws -> GitObject?
    /// Cheaper existence test; defaults to `object(_:) != nil`.
    func hasObject(_ id: ObjectID) async throws -> Bool
    /// Applies a push. Called after the pack has been read, every object id
    /// checked and each new tip shown to be fully connected. Returns one result
    /// per update, in the same order. Throwing rejects the whole push with the
    /// error's description.
    func receive(_ push: PushRequest) async throws -> [RefUpdateResult]
}

extension GitRepository {
    public func hasObject(_ id: ObjectID) async throws -> Bool {
        try await object(id) != nil
    }
}

public struct RefSnapshot: Sendable, Equatable {
    /// Full ref names ("refs/heads/main") to the commit (or tag) they name.
    public var refs: [String: ObjectID]
    /// Target of the HEAD symref, e.g. "refs/heads/main"; it may name a ref
    /// that does not exist yet (an empty repository's unborn branch).
    public var head: String?

    public init(refs: [String: ObjectID], head: String? = "refs/heads/main") {
        self.refs = refs
        self.head = head
    }

    public var headID: ObjectID? { head.flatMap { refs[$0] } }

    /// Refs sorted by name, as git expects them advertised.
    public var sorted: [(name: String, id: ObjectID)] {
        refs.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }.map { ($0.key, $0.value) }
    }
}

/// One "old new ref" command of a push.
public struct RefUpdate: Sendable, Hashable {
    public var refName: String
    /// The value the client believes the ref has; zero means "create".
    public var oldID: ObjectID
    /// The new value; zero means "delete".
    public var newID: ObjectID

    public init(refName: String, oldID: ObjectID, newID: ObjectID) {
        self.refName = refName
        self.oldID = oldID
        self.newID = newID
    }

    public var isCreate: Bool { oldID.isZero }
    public var isDelete: Bool { newID.isZero }

    /// The standard compare-and-swap rule: the ref must still hold what the
    /// client saw. Returns git's usual rejection reason, or nil if it holds.
    public func staleReason(current: ObjectID?) -> String? {
        let cur = current ?? .zero
        if cur == oldID { return nil }
        return isCreate ? "already exists" : "fetch first"
    }
}

public enum RefUpdateResult: Sendable, Equatable {
    case ok
    /// Sent to the client as "ng <ref> <reason>" and shown as
    /// "! [remote rejected] … (<reason>)".
    case rejected(String)
}

/// What `receive` gets: the commands and the objects the client sent.
public struct PushRequest: Sendable {
    public var updates: [RefUpdate]
    /// Objects from the pack, by id; thin-pack bases are not included since
    /// the repository already has them.
    public var objects: [ObjectID: GitObject]
    /// Pack order; trees and blobs of new commits appear here.
    public var order: [ObjectID]
    /// The client asked for all-or-nothing ("atomic" capability).
    public var atomic: Bool
    /// Ids referenced by the new tips that the client did not send because the
    /// repository already has them are read through this.
    let fallback: @Sendable (ObjectID) async throws -> GitObject?

    public init(updates: [RefUpdate], objects: [ObjectID: GitObject], order: [ObjectID], atomic: Bool,
                fallback: @escaping @Sendable (ObjectID) async throws -> GitObject?) {
        self.updates = updates
        self.objects = objects
        self.order = order
        self.atomic = atomic
        self.fallback = fallback
    }

    /// An object from the push, or else from the repository.
    public func object(_ id: ObjectID) async throws -> GitObject? {
        if let o = objects[id] { return o }
        return try await fallback(id)
    }

    public func commit(_ id: ObjectID) async throws -> Commit {
        guard let o = try await object(id) else { throw ObjectWalkError.missingObject(id) }
        guard o.type == .commit else { throw GitObjectError.wrongType(expected: .commit, actual: o.type) }
        return try Commit.parse(o.data)
    }

    /// The full file listing of a pushed commit: what the hub turns into its
    /// own revision.
    public func files(ofCommit id: ObjectID) async throws -> [TreeBuilder.FileEntry] {
        let c = try await commit(id)
        return try await TreeBuilder.flatten(root: c.tree) { try await self.object($0) }
    }

    /// The commits this push introduces for `update`, parents before
    /// children: those reachable from the new tip that arrived in the pack
    /// (anything the repository already had is history it knows).
    public func newCommits(_ update: RefUpdate) async throws -> [ObjectID] {
        guard !update.isDelete else { return [] }
        var order: [ObjectID] = []
        var state: [ObjectID: Bool] = [:]   // false = visiting, true = done
        var stack: [(ObjectID, Bool)] = [(update.newID, false)]
        // Iterative post-order DFS so long histories cannot overflow the stack.
        while let (id, expanded) = stack.popLast() {
            if expanded { state[id] = true; order.append(id); continue }
            guard state[id] == nil, let o = objects[id], o.type == .commit else { continue }
            state[id] = false
            stack.append((id, true))
            for p in try Commit.parse(o.data).parents.reversed() where state[p] == nil { stack.append((p, false)) }
        }
        return order
    }
}
