/// Shapes of `/api/whoami-v2` and `/api/{t}/{ns}/{name}[/revision/{rev}]`, as huggingface_hub's
/// `whoami()` and `ModelInfo` / `DatasetInfo` / `SpaceInfo` with `RepoSibling` read them.

struct WhoamiJSON: Encodable, Sendable {
    struct AccessToken: Encodable, Sendable {
        var displayName: String
        var role: String
        var createdAt: String
    }

    struct Auth: Encodable, Sendable {
        var type = "access_token"
        var accessToken: AccessToken
    }

    var type = "user"
    var id: String
    var name: String
    var fullname: String
    var email = JSONNull()
    var emailVerified = false
    var isPro = false
    var orgs: [WhoamiOrgJSON]
    var auth: Auth
}

/// One entry of whoami's `orgs`; clients read `name` and `roleInOrg`.
struct WhoamiOrgJSON: Encodable, Sendable {
    var type = "org"
    var id: String
    var name: String
    var fullname: String
    var email = JSONNull()
    var canPay = false
    var isEnterprise = false
    var periodEnd = JSONNull()
    var roleInOrg: String
}

struct RepoSiblingJSON: Encodable, Sendable {
    struct LFS: Encodable, Sendable {
        var sha256: String
        var size: Int64
        var pointerSize: Int
    }

    var rfilename: String
    /// `size`, `blobId` and `lfs` only when the client asked for `blobs`.
    var size: Int64?
    var blobId: String?
    var lfs: LFS?
}

struct RepoInfoJSON: Encodable, Sendable {
    var mongoID: String
    var id: String
    var author: String
    var sha: String
    var isPrivate: Bool
    var gated = false
    var disabled = false
    var downloads = 0
    var likes = 0
    var tags: [String] = []
    var lastModified: String
    var createdAt: String
    var siblings: [RepoSiblingJSON]
    /// Models only.
    var modelId: String?
    /// Only with `blobs`.
    var usedStorage: Int64?

    enum CodingKeys: String, CodingKey {
        case mongoID = "_id", isPrivate = "private"
        case id, author, sha, gated, disabled, downloads, likes, tags, lastModified, createdAt, siblings, modelId, usedStorage
    }
}
