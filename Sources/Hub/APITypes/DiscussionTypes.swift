/// Shapes of `/api/{t}/{ns}/{name}/discussions…`, as huggingface_hub's `Discussion`,
/// `DiscussionWithDetails` and `DiscussionComment` read them.

struct NewDiscussionRequest: Decodable, Sendable {
    var title: String?
    var description: String?
    var pullRequest: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        title = c.lenient(String.self, forKey: .title)
        description = c.lenient(String.self, forKey: .description)
        pullRequest = c.lenientBool(forKey: .pullRequest)
    }

    enum CodingKeys: String, CodingKey { case title, description, pullRequest }
}

struct DiscussionStatusRequest: Decodable, Sendable {
    var status: String?

    init(from decoder: any Decoder) throws {
        status = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .status)
    }

    enum CodingKeys: String, CodingKey { case status }
}

struct DiscussionCommentRequest: Decodable, Sendable {
    var comment: String?

    init(from decoder: any Decoder) throws {
        comment = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .comment)
    }

    enum CodingKeys: String, CodingKey { case comment }
}

struct DiscussionAuthorJSON: Encodable, Sendable {
    var name: String
    var type = "user"
}

struct DiscussionRepoJSON: Encodable, Sendable {
    var name: String
    var type: String
}

struct DiscussionChangesJSON: Encodable, Sendable {
    var base = "refs/heads/main"
    /// Only once the pull request is merged.
    var mergeCommitId: String?
}

struct DiscussionEventJSON: Encodable, Sendable {
    struct Text: Encodable, Sendable {
        var raw: String
        var html: String
    }

    struct Payload: Encodable, Sendable {
        var edited = false
        var hidden = false
        var latest: Text
    }

    var id: String
    var type = "comment"
    var createdAt: String
    var author: DiscussionAuthorJSON
    var data: Payload

    init(id: String, createdAt: String, author: String, text: String) {
        self.id = id
        self.createdAt = createdAt
        self.author = DiscussionAuthorJSON(name: author)
        data = Payload(latest: Text(raw: text, html: text))
    }
}

struct DiscussionJSON: Encodable, Sendable {
    var num: Int64
    var title: String
    var status: String
    var createdAt: String
    var isPullRequest: Bool
    var numComments = 1
    var pinned = false
    var author: DiscussionAuthorJSON
    var repo: DiscussionRepoJSON
    /// The rest is sent only by the single-discussion endpoint (`DiscussionWithDetails`).
    var changes: DiscussionChangesJSON?
    var filesWithConflicts: [String]?
    var events: [DiscussionEventJSON]?
    var diff: String?
    var conflictingFiles: [String]?
    /// Only in the answer to opening a discussion.
    var url: String?
}

struct DiscussionListJSON: Encodable, Sendable {
    var discussions: [DiscussionJSON]
    var count: Int
    var start = 0
    var numClosedDiscussions: Int
}

struct DiscussionStatusJSON: Encodable, Sendable {
    struct Status: Encodable, Sendable { var status: String }
    var newStatus: Status

    init(_ status: String) { newStatus = Status(status: status) }
}

struct DiscussionCommentJSON: Encodable, Sendable {
    var newMessage: DiscussionEventJSON
}
