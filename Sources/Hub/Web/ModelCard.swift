import Foundation
import Ink

/// A README as the repo page shows it: the YAML front matter as tags, the rest as sanitised HTML.
package struct ModelCard: Equatable, Sendable {
    /// `key: value` pairs and list items of the front matter, in order (`tags` items appear bare, as on the Hub).
    package var tags: [String]
    /// The Markdown body rendered by Ink, then passed through `HTMLSanitizer`.
    package var html: String

    /// - Parameters:
    ///   - pageBase: where relative links point (e.g. `/ns/name/blob/main/`), `fileBase`: where relative
    ///     images load from (`/ns/name/resolve/main/`); nil leaves relative URLs as they are.
    package init(markdown: String, pageBase: String? = nil, fileBase: String? = nil) {
        let (front, body) = Self.splitFrontMatter(markdown)
        tags = front.map(Self.tags(fromYAML:)) ?? []
        html = Self.render(body, pageBase: pageBase, fileBase: fileBase)
    }

    /// Markdown to safe HTML. Ink alone would pass raw HTML and `javascript:` links through.
    package static func render(_ markdown: String, pageBase: String? = nil, fileBase: String? = nil) -> String {
        let relative: ((String, Bool) -> String)? = pageBase == nil && fileBase == nil ? nil : { url, isImage in
            let path = url.hasPrefix("./") ? String(url.dropFirst(2)) : url
            return ((isImage ? fileBase : pageBase) ?? "") + path
        }
        return HTMLSanitizer.sanitize(MarkdownParser().html(from: markdown), relative: relative)
    }

    /// Splits `---\n yaml \n---\n rest`; a README without a closed front matter block is all body.
    package static func splitFrontMatter(_ text: String) -> (yaml: String?, body: String) {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalized.hasPrefix("---\n") else { return (nil, normalized) }
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        guard let end = lines.dropFirst().firstIndex(where: { $0 == "---" || $0 == "..." }) else { return (nil, normalized) }
        let yaml = lines[1..<end].joined(separator: "\n")
        let body = lines[(end + 1)...].joined(separator: "\n")
        return (yaml, body)
    }

    /// The model-card subset of YAML: top-level `key: value`, `key: [a, b]` and `key:` followed by `- item`
    /// lines. Nested maps (e.g. `model-index`) are summarised by their key only; this is display, not config.
    package static func tags(fromYAML yaml: String) -> [String] {
        var out: [String] = []
        var currentKey: String?
        func unquote(_ s: Substring) -> String {
            var v = s.trimmingCharacters(in: .whitespaces)
            if v.count >= 2, let f = v.first, f == v.last, f == "\"" || f == "'" { v = String(v.dropFirst().dropLast()) }
            return v
        }
        func add(_ key: String, _ value: String) {
            guard !value.isEmpty else { return }
            out.append(key == "tags" ? value : "\(key): \(value)")
        }
        for raw in yaml.split(separator: "\n") {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let indented = line.first == " " || line.first == "\t"
            if trimmed.hasPrefix("- ") || trimmed == "-" {
                // Items of nested maps (`- name: x` under model-index) are not tags.
                if let key = currentKey, !trimmed.dropFirst(2).contains(": ") { add(key, unquote(trimmed.dropFirst(2))) }
                continue
            }
            if indented { continue }
            guard let colon = trimmed.firstIndex(of: ":") else { continue }
            let key = unquote(trimmed[..<colon])
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            currentKey = key
            if value.isEmpty {
                continue
            } else if value.hasPrefix("[") && value.hasSuffix("]") {
                for item in value.dropFirst().dropLast().split(separator: ",") { add(key, unquote(item)) }
            } else if value == "|" || value == ">" {
                out.append(key)
            } else {
                add(key, unquote(Substring(value)))
            }
        }
        return out
    }
}
