import Foundation

/// Escapes text for HTML element content and quoted attribute values.
package func htmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// An allow-list filter over the HTML Ink produces. Ink passes raw HTML in a README straight through,
/// so every tag is re-parsed here: known formatting tags are re-emitted with only safe attributes,
/// anything else (`<script>`, `<iframe>`, event handlers, comments) is turned into visible text.
/// Working on the output rather than the Markdown keeps code blocks (which Ink escapes itself) intact.
package enum HTMLSanitizer {
    static let allowedTags: Set<String> = [
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "em", "strong", "b", "i", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
    ]
    /// Attributes kept per tag; `href` and `src` additionally pass `isSafeURL`.
    static let allowedAttributes: [String: Set<String>] = [
        "a": ["href", "title"], "img": ["src", "alt", "title"], "ol": ["start"],
        "code": ["class"], "th": ["align"], "td": ["align"],
    ]

    /// `relative`: maps a relative `href` (`isImage` false) or `src` (true) to where it lives, so a
    /// README's `![](plot.png)` points into the repo rather than next to the page's URL.
    package static func sanitize(_ html: String, relative: ((_ url: String, _ isImage: Bool) -> String)? = nil) -> String {
        let s = Array(html.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "<" else {
                // A bare `>` is harmless; `&` stays as Ink wrote it (entities cannot open a tag).
                out.append(s[i]); i += 1; continue
            }
            if let (tag, end) = parseTag(s, from: i), let clean = rebuild(tag, relative: relative) {
                out.append(contentsOf: clean.unicodeScalars)
                i = end
            } else {
                out.append(contentsOf: "&lt;".unicodeScalars)
                i += 1
            }
        }
        return String(out)
    }

    struct Tag { var name: String; var closing: Bool; var attributes: [(String, String)] }

    /// Parses `<name attr="v" ...>` or `</name>` starting at `start`; nil when it is not a well-formed tag.
    static func parseTag(_ s: [Unicode.Scalar], from start: Int) -> (Tag, Int)? {
        var i = start + 1
        var closing = false
        if i < s.count, s[i] == "/" { closing = true; i += 1 }
        var name = ""
        while i < s.count, ("a"..."z").contains(s[i]) || ("A"..."Z").contains(s[i]) || ("0"..."9").contains(s[i]) {
            name.unicodeScalars.append(s[i]); i += 1
        }
        guard !name.isEmpty, name.first!.isLetter else { return nil }
        var attrs: [(String, String)] = []
        func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" || s[i] == "/" { i += 1 } }
        func skipSpaceNoSlash() { while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" { i += 1 } }
        while true {
            skipSpace()
            guard i < s.count else { return nil }
            if s[i] == ">" { return (Tag(name: name.lowercased(), closing: closing, attributes: attrs), i + 1) }
            var key = ""
            while i < s.count, !" \n\t\r=>/\"'<".unicodeScalars.contains(s[i]) { key.unicodeScalars.append(s[i]); i += 1 }
            guard !key.isEmpty else { return nil }
            var value = ""
            skipSpaceNoSlash()
            if i < s.count, s[i] == "=" {
                i += 1
                skipSpaceNoSlash()
                guard i < s.count else { return nil }
                if s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]; i += 1
                    while i < s.count, s[i] != quote { value.unicodeScalars.append(s[i]); i += 1 }
                    guard i < s.count else { return nil }
                    i += 1
                } else {
                    while i < s.count, !" \n\t\r>".unicodeScalars.contains(s[i]) { value.unicodeScalars.append(s[i]); i += 1 }
                }
            }
            attrs.append((key.lowercased(), decodeEntities(value)))
        }
    }

    static func rebuild(_ tag: Tag, relative: ((String, Bool) -> String)? = nil) -> String? {
        guard allowedTags.contains(tag.name) else { return nil }
        if tag.closing { return "</\(tag.name)>" }
        var out = "<\(tag.name)"
        let allowed = allowedAttributes[tag.name] ?? []
        for (key, raw) in tag.attributes where allowed.contains(key) {
            var value = raw
            if key == "href" || key == "src" {
                guard isSafeURL(value) else { continue }
                if let relative, isRepoRelative(value) { value = relative(value, key == "src") }
            }
            if key == "class" { guard value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == " " }) else { continue } }
            out += " \(key)=\"\(htmlEscape(value))\""
        }
        // Links to other sites must not get a handle on this page (window.opener) or a referrer with a session path.
        if tag.name == "a" { out += " rel=\"nofollow noopener noreferrer\"" }
        return out + ">"
    }

    /// http(s), mailto, fragment and relative URLs. The check runs on the entity-decoded value with
    /// control characters and spaces removed, as a browser would read it (`java&#09;script:` is refused).
    package static func isSafeURL(_ raw: String) -> Bool {
        let v = String(raw.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }).lowercased()
        guard let colon = v.firstIndex(of: ":") else { return true }
        // A colon after the first /, ? or # is part of a relative URL's path or query, not a scheme.
        if let delimiter = v.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), delimiter < colon { return true }
        let scheme = v[..<colon]
        return scheme == "http" || scheme == "https" || scheme == "mailto"
    }

    /// A path relative to the README (`docs/x.md`, `./img.png`): no scheme, not absolute, not a fragment or query.
    package static func isRepoRelative(_ url: String) -> Bool {
        guard let first = url.first, first != "/", first != "#", first != "?" else { return false }
        let beforeDelimiter = url.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !beforeDelimiter.contains(":")
    }

    /// Decodes `&amp; &lt; &gt; &quot; &#39; &#NN; &#xHH;` (what matters for scheme checks; others stay literal).
    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let name = after[..<semi]
                var decoded: String?
                switch name.lowercased() {
                case "amp": decoded = "&"
                case "lt": decoded = "<"
                case "gt": decoded = ">"
                case "quot": decoded = "\""
                case "apos": decoded = "'"
                case "colon": decoded = ":"
                case "tab": decoded = "\t"
                case "newline": decoded = "\n"
                default:
                    if name.hasPrefix("#x") || name.hasPrefix("#X"), let n = UInt32(name.dropFirst(2), radix: 16), let u = Unicode.Scalar(n) {
                        decoded = String(u)
                    } else if name.hasPrefix("#"), let n = UInt32(name.dropFirst()), let u = Unicode.Scalar(n) {
                        decoded = String(u)
                    }
                }
                if let decoded {
                    out += decoded
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }
}
