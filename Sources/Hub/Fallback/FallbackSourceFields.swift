import HTTPSupport

/// A fallback source as written in `HUB_FALLBACK_SOURCES`, `fallback.json`'s `sources`, the admin
/// API's bodies and the portal's form: every field optional. A field sent with the wrong type
/// reads as its default (`source_type` huggingface, `priority` 100, `namespace` all, `enabled`
/// true), so an update with it sets the default rather than keeping the stored value; a `url`
/// that is not a string reads as "" and is refused. `priority` may be a numeric string, `enabled` 0 or 1.
public struct FallbackSourceFields: Decodable, Sendable {
    /// A body's `token`: absent keeps a stored token; `null`, `""` or a non-string removes it.
    public enum Token: Sendable, Equatable {
        case absent, remove
        case set(String)

        var value: String? { if case .set(let t) = self { return t }; return nil }
    }

    public var id: String?
    public var name: String?
    public var url: String?
    public var sourceType: String?
    public var priority: Int?
    public var namespace: String?
    public var enabled: Bool?
    public var token: Token = .absent

    public init(id: String? = nil, name: String? = nil, url: String? = nil, sourceType: String? = nil, priority: Int? = nil,
                namespace: String? = nil, enabled: Bool? = nil, token: Token = .absent) {
        (self.id, self.name, self.url, self.sourceType, self.priority) = (id, name, url, sourceType, priority)
        (self.namespace, self.enabled, self.token) = (namespace, enabled, token)
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, url, sourceType = "source_type", priority, namespace, enabled, token
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        /// Nil when absent; `wrong` when present but not readable.
        func present<T>(_ key: CodingKeys, _ read: () -> T?, wrong: T) -> T? { c.contains(key) ? read() ?? wrong : nil }
        id = c.lenient(String.self, forKey: .id)
        name = c.lenient(String.self, forKey: .name)
        url = present(.url, { c.lenient(String.self, forKey: .url) }, wrong: "")
        sourceType = present(.sourceType, { c.lenient(String.self, forKey: .sourceType) }, wrong: "huggingface")
        priority = present(.priority, {
            c.lenient(Int.self, forKey: .priority) ?? c.lenient(Double.self, forKey: .priority).flatMap { Int(exactly: $0) }
                ?? c.lenient(String.self, forKey: .priority).flatMap { Int($0) }
        }, wrong: 100)
        namespace = present(.namespace, { c.lenient(String.self, forKey: .namespace) }, wrong: "")
        enabled = present(.enabled, { c.lenientBool(forKey: .enabled) }, wrong: true)
        if c.contains(.token) {
            let t = c.lenient(String.self, forKey: .token) ?? ""
            token = t.isEmpty ? .remove : .set(t)
        }
    }

    /// These fields over `base`'s: what a body sets replaces, what it leaves out stays.
    package func overlaid(on base: FallbackSourceFields) -> FallbackSourceFields {
        FallbackSourceFields(id: id ?? base.id, name: name ?? base.name, url: url ?? base.url, sourceType: sourceType ?? base.sourceType,
                             priority: priority ?? base.priority, namespace: namespace ?? base.namespace,
                             enabled: enabled ?? base.enabled, token: token == .absent ? base.token : token)
    }
}
