/// A complete `GitRepository` kept in memory: the reference implementation
/// used by the tests and a model for the hub's own (refs in a database,
/// objects in the content-addressed store).
public actor InMemoryRepository: GitRepository {
    public private(set) var objects: [ObjectID: GitObject] = [:]
    public private(set) var refTable: [String: ObjectID] = [:]
    public var head: String?
    /// When false, updates that are not fast-forwards are refused (the hub's
    /// likely policy for protected branches).
    public var allowNonFastForward: Bool
    /// Refs matching these prefixes may not be written by pushes.
    public var protectedPrefixes: [String]

    public init(head: String? = "refs/heads/main", allowNonFastForward: Bool = false, protectedPrefixes: [String] = []) {
        self.head = head
        self.allowNonFastForward = allowNonFastForward
        self.protectedPrefixes = protectedPrefixes
    }

    @discardableResult
    public func store(_ object: GitObject) -> ObjectID {
        let id = object.id
        objects[id] = object
        return id
    }

    public func setRef(_ name: String, _ id: ObjectID?) {
        refTable[name] = id
    }

    public func setAllowNonFastForward(_ v: Bool) { allowNonFastForward = v }

    public func refs() async throws -> RefSnapshot {
        RefSnapshot(refs: refTable, head: head)
    }

    public func object(_ id: ObjectID) async throws -> GitObject? { objects[id] }

    public func hasObject(_ id: ObjectID) async throws -> Bool { objects[id] != nil }

    public func receive(_ push: PushRequest) async throws -> [RefUpdateResult] {
        // Decide every update against the current state first, so that an
        // atomic push can be refused before anything changes. No suspension
        // happens between the check and the write except the fast-forward
        // walk, which only reads objects.
        var results: [RefUpdateResult] = []
        for u in push.updates {
            if protectedPrefixes.contains(where: { u.refName.hasPrefix($0) }) {
                results.append(.rejected("permission denied"))
                continue
            }
            if let why = u.staleReason(current: refTable[u.refName]) {
                results.append(.rejected(why))
                continue
            }
            if !allowNonFastForward, !u.isCreate, !u.isDelete {
                let ff = try await ObjectWalk.isAncestor(u.oldID, of: u.newID) { try await push.object($0) }
                if !ff { results.append(.rejected("non-fast-forward")); continue }
            }
            results.append(.ok)
        }
        if push.atomic, results.contains(where: { $0 != .ok }) {
            return results.map { $0 == .ok ? .rejected("atomic push failed") : $0 }
        }
        // The actor was possibly re-entered during the awaits above: re-check
        // the compare-and-swap right before writing.
        for (i, u) in push.updates.enumerated() where results[i] == .ok {
            if let why = u.staleReason(current: refTable[u.refName]) { results[i] = .rejected(why); continue }
            refTable[u.refName] = u.isDelete ? nil : u.newID
        }
        if results.contains(.ok) {
            for (id, o) in push.objects { objects[id] = o }
        }
        return results
    }
}
