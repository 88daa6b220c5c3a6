import Foundation
import HTTPSupport

/// Which protocol shape an external source speaks.
public enum FallbackSourceType: String, Sendable, Codable, CaseIterable {
    /// The Hugging Face Hub (or a recorder of it): files at `/{ns}/{name}/resolve/...` for models.
    case huggingface
    /// Another hub of this kind: the same paths as ours.
    case hub
}

/// One external source the hub may fall back to.
public struct FallbackSource: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Origin without a trailing slash, e.g. `https://huggingface.co`.
    public var url: String
    public var sourceType: FallbackSourceType
    /// Lower is tried first.
    public var priority: Int
    /// "" = every namespace, else only this user/org.
    public var namespace: String
    /// The admin's token for this source; never sent back by the API.
    public var token: String?
    public var enabled: Bool
    /// `config` (environment or config file) or `database` (admin API).
    public var origin: String

    public init(id: String, name: String, url: String, sourceType: FallbackSourceType, priority: Int = 100,
                namespace: String = "", token: String? = nil, enabled: Bool = true, origin: String = "config") {
        self.id = id; self.name = name; self.url = FallbackSource.normalize(url); self.sourceType = sourceType
        self.priority = priority; self.namespace = namespace; self.token = token; self.enabled = enabled; self.origin = origin
    }

    static func normalize(_ url: String) -> String {
        var u = url.trimmingCharacters(in: .whitespaces)
        while u.hasSuffix("/") { u.removeLast() }
        return u
    }

    /// Whether this source serves repos of `namespace`.
    public func applies(to namespace: String) -> Bool { enabled && (self.namespace.isEmpty || self.namespace == namespace) }

    /// Parses one source object (`url` and `source_type` required; `kohakuhub` is read as `hub`).
    public static func parse(_ fields: FallbackSourceFields, index: Int, origin: String) throws -> FallbackSource {
        guard let url = fields.url, let parsed = URL(string: url), let scheme = parsed.scheme,
              scheme == "http" || scheme == "https", parsed.host != nil else {
            throw FallbackConfigError("fallback source #\(index + 1): 'url' must be an absolute http(s) URL")
        }
        let rawType = (fields.sourceType ?? "huggingface").lowercased()
        guard let type = FallbackSourceType(rawValue: rawType == "kohakuhub" ? "hub" : rawType) else {
            throw FallbackConfigError("fallback source #\(index + 1): 'source_type' must be 'huggingface' or 'hub', got '\(rawType)'")
        }
        let norm = normalize(url)
        return FallbackSource(id: fields.id ?? "\(origin)-\(index + 1)", name: fields.name ?? norm,
                              url: norm, sourceType: type, priority: fields.priority ?? 100, namespace: fields.namespace ?? "",
                              token: fields.token.value, enabled: fields.enabled ?? true, origin: origin)
    }

    /// Merges lists in precedence order, de-duplicated by URL (first wins), sorted by priority (stable).
    public static func merge(_ lists: [[FallbackSource]]) -> [FallbackSource] {
        var seen = Set<String>()
        var out: [FallbackSource] = []
        for s in lists.joined() where seen.insert(s.url.lowercased()).inserted { out.append(s) }
        return out.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }.map(\.element)
    }
}

public struct FallbackConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Downloads either stream through this hub into its store, or redirect the client.
public enum FallbackMode: String, Sendable {
    case pullThrough = "pull-through"
    case redirect
}

/// Glob patterns over `namespace/name` (`*` any run of characters, `?` one character).
public struct RepoPatterns: Sendable, Equatable {
    public var allow: [String]
    public var deny: [String]
    public init(allow: [String] = [], deny: [String] = []) { self.allow = allow; self.deny = deny }

    /// Denied patterns win; an empty allow list allows everything.
    public func permits(_ repoID: String) -> Bool {
        if deny.contains(where: { Self.matches($0, repoID) }) { return false }
        return allow.isEmpty || allow.contains(where: { Self.matches($0, repoID) })
    }

    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count, p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// Fallback settings, with the design's defaults.
public struct FallbackSettings: Sendable, Equatable {
    public var enabled = true
    public var cacheTTL: TimeInterval = 300
    public var timeout: TimeInterval = 10
    public var maxConcurrent = 5
    public var mode: FallbackMode = .pullThrough
    /// Cap on pulled-through, unpinned bytes; nil = unlimited. Least recently used content goes first.
    public var cacheMaxBytes: Int64?
    public var patterns = RepoPatterns()
    /// Sources from configuration (environment first, then the config file), before the database's.
    public var sources: [FallbackSource] = []

    public init() {}

    /// Reads `HUB_FALLBACK_*` variables and the config file (`HUB_FALLBACK_CONFIG`, default
    /// `<data-dir>/fallback.json`, an object with the same keys in snake case plus `sources`).
    /// Variables override file values; sources from both are kept (environment first).
    public static func load(environment env: [String: String], dataDirectory: URL?) throws -> FallbackSettings {
        var s = FallbackSettings()
        var fileSources: [FallbackSource] = []
        let path = env["HUB_FALLBACK_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? dataDirectory?.appendingPathComponent("fallback.json").path
        if let path, let data = FileManager.default.contents(atPath: path) {
            guard let obj = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
                throw FallbackConfigError("\(path): must hold a JSON object")
            }
            // The settings as the environment spells them: numbers and booleans in their text form.
            var settings: [String: String] = [:]
            for (key, value) in obj where !["sources", "allow", "deny"].contains(key) {
                switch value {
                case .string(let t): settings[key] = t
                case .integer(let n): settings[key] = String(n)
                case .number(let d): settings[key] = String(d)
                case .bool(let b): settings[key] = b ? "1" : "0"
                default: continue
                }
            }
            try s.apply(settings, prefix: "")
            if let a = obj["allow"]?.array?.compactMap(\.string), obj["allow"]?.array?.count == a.count { s.patterns.allow = a }
            if let d = obj["deny"]?.array?.compactMap(\.string), obj["deny"]?.array?.count == d.count { s.patterns.deny = d }
            if let list = try? JSONDecoder().decode(Sources.self, from: data).sources {
                fileSources = try list.enumerated().map { try FallbackSource.parse($1, index: $0, origin: "config") }
            }
        }
        try s.apply(env, prefix: "HUB_FALLBACK_")
        var envSources: [FallbackSource] = []
        if let raw = env["HUB_FALLBACK_SOURCES"], !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard let list = try? JSONDecoder().decode([FallbackSourceFields].self, from: Data(raw.utf8)) else {
                throw FallbackConfigError("HUB_FALLBACK_SOURCES must be a JSON array of source objects")
            }
            envSources = try list.enumerated().map { try FallbackSource.parse($1, index: $0, origin: "env") }
        }
        s.sources = FallbackSource.merge([envSources, fileSources])
        return s
    }

    /// `fallback.json`'s `sources`, when it is a list of objects.
    private struct Sources: Decodable { var sources: [FallbackSourceFields] }

    private mutating func apply(_ values: [String: String], prefix: String) throws {
        func v(_ key: String) -> String? {
            values[prefix + key.uppercased()] ?? values[key]
        }
        if let e = v("enabled") { enabled = !["0", "false", "no", "off"].contains(e.lowercased()) }
        if let t = v("cache_ttl") {
            guard let d = Double(t), d >= 0 else { throw FallbackConfigError("\(prefix)CACHE_TTL must be seconds, got '\(t)'") }
            cacheTTL = d
        }
        if let t = v("timeout") {
            guard let d = Double(t), d > 0 else { throw FallbackConfigError("\(prefix)TIMEOUT must be seconds > 0, got '\(t)'") }
            timeout = d
        }
        if let m = v("max_concurrent") {
            guard let n = Int(m), n > 0 else { throw FallbackConfigError("\(prefix)MAX_CONCURRENT must be a positive integer, got '\(m)'") }
            maxConcurrent = n
        }
        if let m = v("mode") {
            guard let mode = FallbackMode(rawValue: m.lowercased()) else {
                throw FallbackConfigError("\(prefix)MODE must be 'pull-through' or 'redirect', got '\(m)'")
            }
            self.mode = mode
        }
        if let c = v("cache_max_bytes") {
            guard let n = Int64(c), n >= 0 else { throw FallbackConfigError("\(prefix)CACHE_MAX_BYTES must be bytes, got '\(c)'") }
            cacheMaxBytes = n == 0 ? nil : n
        }
        if let a = values[prefix + "ALLOW"], !prefix.isEmpty { patterns.allow = a.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let d = values[prefix + "DENY"], !prefix.isEmpty { patterns.deny = d.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }
}
