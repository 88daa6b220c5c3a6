/// Shapes of `/api/{t}/{ns}/{name}/tree/{rev}/{path}` and `/paths-info/{rev}`, as huggingface_hub's
/// `RepoFile` / `RepoFolder` read them.

struct TreeEntryJSON: Encodable, Sendable {
    struct LFS: Encodable, Sendable {
        var oid: String
        var size: Int64
        var pointerSize: Int
    }

    struct LastCommit: Encodable, Sendable {
        var id: String
        var title: String
        var date: String
    }

    /// `file` or `directory`.
    var type: String
    var oid: String
    var size: Int64
    var path: String
    /// Files only.
    var cid: String?
    var lfs: LFS?
    /// Only with `expand`.
    var lastCommit: LastCommit?
}

/// A JSON `paths-info` body; fields of the wrong type read as absent, as before.
struct PathsInfoRequest: Decodable, Sendable {
    var paths: [String]?
    var expand: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        paths = c.lenient([String].self, forKey: .paths)
        expand = c.lenientBool(forKey: .expand)
    }

    enum CodingKeys: String, CodingKey { case paths, expand }
}
