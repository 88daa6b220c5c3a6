import HTTPSupport

/// One entry of `GET /api/{models|datasets|spaces}`, as huggingface_hub's `list_models` reads it.
struct RepoListItemJSON: Encodable, Sendable {
    var _id: String
    var id: String
    var author: String
    var `private`: Bool
    var gated = false
    var disabled = false
    var downloads = 0
    var likes = 0
    var tags: [String] = []
    var lastModified: String
    var createdAt: String
    /// Models only (the client's `ModelInfo.modelId`).
    var modelId: String?
    var sha: String?
    /// With the fallback on: `local`, or the source an entry came from.
    var _source: String?
}

/// An entry of a listing: ours, or a fallback source's as it sent it (with `_source` and
/// `_source_url` added), whatever other fields that source gives.
enum RepoListEntry: Encodable, Sendable {
    case local(RepoListItemJSON)
    case upstream([String: JSONValue])

    var id: String? {
        switch self {
        case .local(let item): return item.id
        case .upstream(let object): return object["id"]?.string
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .local(let item): try c.encode(item)
        case .upstream(let object): try c.encode(object)
        }
    }
}
