/// Bodies and answers of the repo write endpoints (`/api/repos/create|delete|move`, `/settings`,
/// `/preupload`, `/commit`, `/api/validate-yaml`), as huggingface_hub's `create_repo`, `preupload_lfs_files`
/// and `CommitInfo` send and read them. Request fields of the wrong type read as absent, as before.

/// `{name, organization, type}`, plus the visibility fields `create` also reads.
struct RepoIdentityRequest: Decodable, Sendable {
    var type: String?
    var name: String?
    var organization: String?
    var visibility: String?
    var isPrivate: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = c.lenient(String.self, forKey: .type)
        name = c.lenient(String.self, forKey: .name)
        organization = c.lenient(String.self, forKey: .organization)
        visibility = c.lenient(String.self, forKey: .visibility)
        isPrivate = c.lenientBool(forKey: .isPrivate)
    }

    enum CodingKeys: String, CodingKey { case type, name, organization, visibility, isPrivate = "private" }
}

struct MoveRepoRequest: Decodable, Sendable {
    var fromRepo: String?
    var toRepo: String?
    var type: String?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fromRepo = c.lenient(String.self, forKey: .fromRepo)
        toRepo = c.lenient(String.self, forKey: .toRepo)
        type = c.lenient(String.self, forKey: .type)
    }

    enum CodingKeys: String, CodingKey { case fromRepo, toRepo, type }
}

struct ValidateYAMLRequest: Decodable, Sendable {
    var content: String?

    init(from decoder: any Decoder) throws {
        content = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .content)
    }

    enum CodingKeys: String, CodingKey { case content }
}

struct PreuploadRequest: Decodable, Sendable {
    struct File: Decodable, Sendable {
        var path: String?
        var size: Int64?
        var sample: String?

        /// Fails only when the entry is not an object, which makes the whole `files` unreadable.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = c.lenient(String.self, forKey: .path)
            size = c.lenientInt64(forKey: .size)
            sample = c.lenient(String.self, forKey: .sample)
        }

        enum CodingKeys: String, CodingKey { case path, size, sample }
    }

    var files: [File]?

    init(from decoder: any Decoder) throws {
        files = try decoder.container(keyedBy: CodingKeys.self).lenient([File].self, forKey: .files)
    }

    enum CodingKeys: String, CodingKey { case files }
}

struct CreatedRepoJSON: Encodable, Sendable {
    var url: String
    var name: String
    var id: String
}

struct RepoExistsJSON: Encodable, Sendable {
    var error: String
    var url: String
}

struct MovedRepoJSON: Encodable, Sendable {
    var url: String
}

struct YAMLValidationJSON: Encodable, Sendable {
    struct Message: Encodable, Sendable { var message: String }
    var errors: [Message]
    var warnings: [Message] = []
}

struct PreuploadJSON: Encodable, Sendable {
    struct File: Encodable, Sendable {
        var path: String
        /// `regular` or `lfs`.
        var uploadMode: String
        var shouldIgnore = false
        /// Only for a path the revision already has.
        var oid: String?
    }

    var files: [File]
    var commitOid: String
}

struct CommitResultJSON: Encodable, Sendable {
    var commitUrl: String
    var commitOid: String
    var success = true
    /// Only when the commit opened a pull request.
    var pullRequestUrl: String?
}
