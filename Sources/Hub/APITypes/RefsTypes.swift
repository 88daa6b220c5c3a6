/// Shapes of `/api/{t}/{ns}/{name}/refs`, `/commits/{rev}` and the branch endpoint, as huggingface_hub's
/// `GitRefs` / `GitRefInfo` and `GitCommitInfo` read them.

struct CreateBranchRequest: Decodable, Sendable {
    var startingPoint: String?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        startingPoint = c.lenient(String.self, forKey: .startingPoint)
    }

    enum CodingKeys: String, CodingKey { case startingPoint }
}

struct GitRefJSON: Encodable, Sendable {
    var name: String
    var ref: String
    var targetCommit: String
}

struct GitRefsJSON: Encodable, Sendable {
    var branches: [GitRefJSON]
    var tags: [GitRefJSON] = []
    var converts: [GitRefJSON] = []
    /// Only when the client asked with `include_prs`; absent otherwise.
    var pullRequests: [GitRefJSON]?
}

struct CommitAuthorJSON: Encodable, Sendable {
    var user: String
}

struct CommitInfoJSON: Encodable, Sendable {
    var id: String
    var title: String
    var message: String
    var date: String
    var authors: [CommitAuthorJSON]
}
