/// Graph walks over a repository's objects: what to send for a fetch, whether
/// a push is connected, whether an update is a fast-forward.
public enum ObjectWalk {
    typealias Lookup = (ObjectID) async throws -> GitObject?

    /// What a fetch asks for, as far as choosing objects goes.
    public struct FetchRequest: Sendable {
        public var wants: [ObjectID]
        /// Client commits the server also has (already filtered).
        public var haves: [ObjectID]
        /// Commits the client has without their parents (a shallow clone).
        public var clientShallow: Set<ObjectID>
        /// "deepen N": only commits at most N deep from the wants.
        public var depth: Int?
        /// Stop after the commit walk (enough for the shallow boundary);
        /// `objects` then lists commits only.
        public var commitsOnly: Bool
        /// Partial clone: blobs reached through trees may be left out.
        public var filter: ObjectFilter

        public init(wants: [ObjectID], haves: [ObjectID] = [], clientShallow: Set<ObjectID> = [], depth: Int? = nil,
                    commitsOnly: Bool = false, filter: ObjectFilter = .none) {
            self.wants = wants
            self.haves = haves
            self.clientShallow = clientShallow
            self.depth = depth
            self.commitsOnly = commitsOnly
            self.filter = filter
        }
    }

    /// The subset of git's --filter specs we implement. Objects the client
    /// names directly in a want are always sent (that is how a partial clone
    /// fetches missing blobs on demand).
    public enum ObjectFilter: Sendable, Equatable {
        case none
        /// "blob:none"
        case noBlobs
        /// "blob:limit=<n>[kmg]": omit blobs larger than n bytes.
        case blobLimit(Int)

        public init?(spec: String) {
            if spec == "blob:none" { self = .noBlobs; return }
            guard spec.hasPrefix("blob:limit=") else { return nil }
            var v = spec.dropFirst("blob:limit=".count).lowercased()
            var scale = 1
            if let unit = v.last, let s = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30][String(unit)] {
                scale = s
                v.removeLast()
            }
            guard let n = Int(v), n >= 0 else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: scale)
            self = .blobLimit(overflow ? Int.max : product)
        }
    }

    public struct FetchPlan: Sendable {
        /// Ids and types to pack: commits first, then trees and blobs in the
        /// order a checkout needs them.
        public var objects: [(id: ObjectID, type: ObjectType)]
        /// Sent commits whose parents are not sent (new shallow boundary).
        public var shallow: [ObjectID]
        /// Client shallow commits whose parents are now sent.
        public var unshallow: [ObjectID]
    }

    /// Chooses what to send. Like git, whole histories are excluded by commit
    /// but only the trees of boundary commits (client-side parents of sent
    /// commits) are marked as present; that keeps the cost linear in what is
    /// sent rather than in all history.
    public static func plan(_ req: FetchRequest, repository: any GitRepository) async throws -> FetchPlan {
        let lookup: Lookup = { try await repository.object($0) }
        func load(_ id: ObjectID) async throws -> GitObject {
            guard let o = try await lookup(id) else { throw ObjectWalkError.missingObject(id) }
            return o
        }
        func commit(_ id: ObjectID) async throws -> Commit? {
            guard let o = try await lookup(id), o.type == .commit else { return nil }
            return try Commit.parse(o.data)
        }

        // 1. Commits the client has: ancestors of its haves, except that the
        //    walk stops at its shallow commits (it lacks their parents).
        var clientHas = Set<ObjectID>()
        var stack = req.haves
        while let id = stack.popLast() {
            guard clientHas.insert(id).inserted, !req.clientShallow.contains(id), let c = try await commit(id) else { continue }
            stack += c.parents
        }

        // 2. Commits to send, breadth-first so each commit gets its smallest
        //    depth (wants are depth 1).
        var out: [(id: ObjectID, type: ObjectType)] = []
        var rootTrees: [ObjectID] = []
        var looseObjects: [(id: ObjectID, type: ObjectType)] = []
        var boundaryTrees = Set<ObjectID>()
        var shallow: [ObjectID] = []
        var unshallow: [ObjectID] = []
        for h in req.haves { if let c = try await commit(h) { boundaryTrees.insert(c.tree) } }
        var queue: [(ObjectID, Int)] = req.wants.map { ($0, 1) }
        var head = 0
        var seen = Set<ObjectID>()
        while head < queue.count {
            let (id, depth) = queue[head]
            head += 1
            guard seen.insert(id).inserted else { continue }
            if req.depth == nil, clientHas.contains(id) { continue }
            let o = try await load(id)
            switch o.type {
            case .commit:
                let c = try Commit.parse(o.data)
                let atLimit = req.depth.map { depth >= $0 } ?? false
                if atLimit, !c.parents.isEmpty { shallow.append(id) }
                if !atLimit, req.clientShallow.contains(id), !c.parents.isEmpty { unshallow.append(id) }
                if !clientHas.contains(id) {
                    out.append((id, .commit))
                    rootTrees.append(c.tree)
                }
                if atLimit { continue }
                for p in c.parents {
                    if clientHas.contains(p), let pc = try await commit(p) { boundaryTrees.insert(pc.tree) }
                    // With a depth limit the walk continues through commits the
                    // client has, because depth counts from the wants.
                    if req.depth != nil || !clientHas.contains(p) { queue.append((p, depth + 1)) }
                }
            case .tree: rootTrees.append(id)
            case .blob: looseObjects.append((id, .blob))
            case .tag:
                out.append((id, .tag))
                if let target = tagTarget(o.data) { queue.append((target, depth)) }
            }
        }

        if req.commitsOnly { return FetchPlan(objects: out, shallow: shallow, unshallow: unshallow) }

        // 3. Everything under the boundary trees is on the client already.
        var present = Set<ObjectID>()
        var treeStack = Array(boundaryTrees)
        while let t = treeStack.popLast() {
            guard present.insert(t).inserted, let o = try await lookup(t), o.type == .tree else { continue }
            for e in try Tree.parse(o.data).entries where !e.mode.isGitlink {
                if e.mode.isDirectory { treeStack.append(e.id) } else { present.insert(e.id) }
            }
        }

        // 4. New trees and blobs; a subtree already present or already listed
        //    is skipped whole.
        var listed = present
        for root in rootTrees {
            var ts = [root]
            while let t = ts.popLast() {
                guard listed.insert(t).inserted else { continue }
                let o = try await load(t)
                guard o.type == .tree else { throw GitObjectError.wrongType(expected: .tree, actual: o.type) }
                out.append((t, .tree))
                for e in try Tree.parse(o.data).entries where !e.mode.isGitlink {
                    if e.mode.isDirectory {
                        ts.append(e.id)
                    } else if listed.insert(e.id).inserted {
                        switch req.filter {
                        case .none: out.append((e.id, .blob))
                        case .noBlobs: break
                        case .blobLimit(let max):
                            if let b = try await lookup(e.id), b.data.count <= max { out.append((e.id, .blob)) }
                        }
                    }
                }
            }
        }
        for l in looseObjects where listed.insert(l.id).inserted { out.append(l) }
        return FetchPlan(objects: out, shallow: shallow, unshallow: unshallow)
    }

    /// Ids (and types) to pack for a full-history fetch.
    public static func objectsToSend(wants: [ObjectID], haves: [ObjectID],
                                     repository: any GitRepository) async throws -> [(id: ObjectID, type: ObjectType)] {
        try await plan(FetchRequest(wants: wants, haves: haves), repository: repository).objects
    }

    /// Checks that every object reachable from `tip` is either in `received`
    /// or already in the repository. Descent stops at objects the repository
    /// has, which are complete by induction, so the cost is proportional to
    /// the push rather than the history.
    public static func isConnected(tip: ObjectID, received: [ObjectID: GitObject],
                                   repositoryHas: (ObjectID) async throws -> Bool) async throws -> Bool {
        var stack = [tip]
        var seen = Set<ObjectID>()
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            guard let o = received[id] else {
                if try await repositoryHas(id) { continue }
                return false
            }
            switch o.type {
            case .blob: break
            case .commit:
                let c = try Commit.parse(o.data)
                stack.append(c.tree)
                stack += c.parents
            case .tree:
                for e in try Tree.parse(o.data).entries {
                    // Refuse pushed trees that could escape a checkout.
                    guard e.hasSafeName else { throw GitObjectError.unsafeEntryName(e.nameString) }
                    if !e.mode.isGitlink { stack.append(e.id) }
                }
            case .tag:
                guard let t = tagTarget(o.data) else { return false }
                stack.append(t)
            }
        }
        return true
    }

    /// Whether `ancestor` is reachable from `descendant` through parents
    /// (i.e. moving a ref from ancestor to descendant is a fast-forward).
    public static func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID, maxCommits: Int = 1_000_000,
                                  lookup: (ObjectID) async throws -> GitObject?) async throws -> Bool {
        var stack = [descendant]
        var seen = Set<ObjectID>()
        while let id = stack.popLast() {
            if id == ancestor { return true }
            guard seen.insert(id).inserted, seen.count <= maxCommits else { continue }
            guard let o = try await lookup(id), o.type == .commit else { continue }
            stack += try Commit.parse(o.data).parents
        }
        return false
    }

    /// The "object <id>" line of an annotated tag.
    static func tagTarget(_ data: [UInt8]) -> ObjectID? {
        guard data.count >= 47, data[0..<7].elementsEqual("object ".utf8) else { return nil }
        return ObjectID(hexBytes: data[7..<47])
    }
}
