import Foundation

/// The kinds of repository the hub keeps; the raw value is the client's `repo_type`.
public enum RepoType: String, Sendable, CaseIterable, Codable {
    case model, dataset, space

    /// The plural used in API paths (`/api/models/...`).
    public var plural: String { rawValue + "s" }

    public init?(plural: String) {
        switch plural {
        case "models": self = .model
        case "datasets": self = .dataset
        case "spaces": self = .space
        default: return nil
        }
    }
}

public struct RepoRecord: Sendable, Equatable {
    public var id: String
    public var type: RepoType
    public var namespace: String
    public var name: String
    public var isPrivate: Bool
    public var createdAt: Int64
    public var lastModified: Int64

    public init(id: String, type: RepoType, namespace: String, name: String, isPrivate: Bool, createdAt: Int64, lastModified: Int64) {
        self.id = id; self.type = type; self.namespace = namespace; self.name = name
        self.isPrivate = isPrivate; self.createdAt = createdAt; self.lastModified = lastModified
    }

    public var fullName: String { "\(namespace)/\(name)" }
}

public struct CommitRecord: Sendable, Equatable {
    /// 40 lowercase hex digits.
    public var id: String
    public var repoID: String
    public var parentID: String?
    public var title: String
    public var message: String
    public var author: String
    /// Unix seconds.
    public var createdAt: Int64

    public init(id: String, repoID: String, parentID: String?, title: String, message: String, author: String, createdAt: Int64) {
        self.id = id; self.repoID = repoID; self.parentID = parentID; self.title = title
        self.message = message; self.author = author; self.createdAt = createdAt
    }
}

/// One file as it stands in one commit.
public struct FileRecord: Sendable, Equatable {
    public var path: String
    public var size: Int64
    /// git blob sha1 of what git would store: the content for regular files, the pointer for LFS files.
    public var gitOID: String
    /// sha256 of the content (kept for every file; it is the LFS oid for LFS files).
    public var sha256: String
    public var isLFS: Bool
    /// UnixFS CID of the content in the block store.
    public var cid: String
    /// Commit that last changed this path (filled by the database).
    public var lastCommitID: String

    public init(path: String, size: Int64, gitOID: String, sha256: String, isLFS: Bool, cid: String, lastCommitID: String = "") {
        self.path = path; self.size = size; self.gitOID = gitOID; self.sha256 = sha256
        self.isLFS = isLFS; self.cid = cid; self.lastCommitID = lastCommitID
    }
}

public enum FileChange: Sendable, Equatable {
    case put(FileRecord)
    case delete(path: String)
    /// Deletes every path under `prefix` (which ends with `/`).
    case deleteFolder(prefix: String)
}

public struct UserRecord: Sendable, Equatable {
    public var name: String
    public var isAdmin: Bool
    public var createdAt: Int64
    public init(name: String, isAdmin: Bool, createdAt: Int64) {
        self.name = name; self.isAdmin = isAdmin; self.createdAt = createdAt
    }
}

public struct TokenRecord: Sendable, Equatable {
    public var id: String
    public var userName: String
    public var displayName: String
    public var canWrite: Bool
    public var createdAt: Int64
    public init(id: String, userName: String, displayName: String, canWrite: Bool, createdAt: Int64) {
        self.id = id; self.userName = userName; self.displayName = displayName; self.canWrite = canWrite; self.createdAt = createdAt
    }
}

/// What a member may do in an organisation's namespace; each role includes the ones before it.
public enum OrgRole: String, Sendable, CaseIterable, Comparable, Codable {
    /// Read the org's private repos.
    case read
    /// Also create repos and commit, upload and delete files.
    case write
    /// Also delete and move repos and manage the org's members.
    case admin

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: OrgRole, b: OrgRole) -> Bool { a.rank < b.rank }
}

/// An organisation: a namespace owned by its members rather than by one user.
public struct OrgRecord: Sendable, Equatable {
    public var name: String
    /// The display name (`fullname` in whoami); the name itself unless one was given.
    public var fullname: String
    public var createdAt: Int64
    public init(name: String, fullname: String, createdAt: Int64) {
        self.name = name; self.fullname = fullname; self.createdAt = createdAt
    }
}

/// One user's membership of one organisation.
public struct OrgMembershipRecord: Sendable, Equatable {
    public var orgName: String
    public var userName: String
    public var role: OrgRole
    public var createdAt: Int64
    public init(orgName: String, userName: String, role: OrgRole, createdAt: Int64) {
        self.orgName = orgName; self.userName = userName; self.role = role; self.createdAt = createdAt
    }
}

public struct LFSObjectRecord: Sendable, Equatable {
    public var sha256: String
    public var size: Int64
    public var cid: String
    public init(sha256: String, size: Int64, cid: String) { self.sha256 = sha256; self.size = size; self.cid = cid }
}

public struct DiscussionRecord: Sendable, Equatable {
    public var repoID: String
    public var num: Int64
    public var title: String
    public var description: String
    public var author: String
    public var isPullRequest: Bool
    public var status: String
    public var createdAt: Int64
    /// Commit the pull request was opened against.
    public var baseCommitID: String
}

public struct RefRecord: Sendable, Equatable {
    public var name: String
    public var commitID: String
}

public enum HubDatabaseError: Error, Equatable, CustomStringConvertible {
    case alreadyExists(String)
    case notFound(String)
    /// The branch moved since the client read it.
    case parentMismatch(expected: String, actual: String)
    case invalidConfiguration(String)
    case backend(String)

    public var description: String {
        switch self {
        case .alreadyExists(let what): return "\(what) already exists"
        case .notFound(let what): return "\(what) not found"
        case .parentMismatch(let expected, let actual):
            return "parent commit \(expected) is not the head of the branch (\(actual)); pull and retry"
        case .invalidConfiguration(let why): return "database configuration: \(why)"
        case .backend(let why): return "database error: \(why)"
        }
    }
}
