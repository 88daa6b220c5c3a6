import Foundation

/// JSON reader that keeps object key order (Foundation's does not), so a tool schema prints back
/// through `tojson` exactly as the client sent it.
enum JinjaJSONParser {
    static func parse(_ text: String) throws -> JinjaValue {
        var p = Reader(scalars: Array(text.unicodeScalars))
        p.skipSpace()
        let v = try p.value()
        p.skipSpace()
        guard p.i == p.scalars.count else { throw p.fail("trailing characters") }
        return v
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var i = 0

        func fail(_ why: String) -> JinjaError { .type(line: 0, message: "invalid JSON at offset \(i): \(why)") }

        mutating func skipSpace() {
            while i < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[i]) { i += 1 }
        }

        mutating func expect(_ word: String) throws {
            for u in word.unicodeScalars {
                guard i < scalars.count, scalars[i] == u else { throw fail("expected \(word)") }
                i += 1
            }
        }

        mutating func value() throws -> JinjaValue {
            guard i < scalars.count else { throw fail("unexpected end") }
            switch scalars[i] {
            case "{":
                i += 1
                var d = JinjaDict()
                skipSpace()
                if i < scalars.count, scalars[i] == "}" { i += 1; return .dict(d) }
                while true {
                    skipSpace()
                    guard i < scalars.count, scalars[i] == "\"" else { throw fail("expected a key") }
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    d[key] = try value()
                    skipSpace()
                    guard i < scalars.count else { throw fail("unterminated object") }
                    if scalars[i] == "," { i += 1; continue }
                    if scalars[i] == "}" { i += 1; return .dict(d) }
                    throw fail("expected , or }")
                }
            case "[":
                i += 1
                var a: [JinjaValue] = []
                skipSpace()
                if i < scalars.count, scalars[i] == "]" { i += 1; return .array(a) }
                while true {
                    skipSpace()
                    a.append(try value())
                    skipSpace()
                    guard i < scalars.count else { throw fail("unterminated array") }
                    if scalars[i] == "," { i += 1; continue }
                    if scalars[i] == "]" { i += 1; return .array(a) }
                    throw fail("expected , or ]")
                }
            case "\"": return .string(try string())
            case "t": try expect("true"); return .bool(true)
            case "f": try expect("false"); return .bool(false)
            case "n": try expect("null"); return .none
            default: return try number()
            }
        }

        mutating func number() throws -> JinjaValue {
            let start = i
            var isFloat = false
            while i < scalars.count {
                let u = scalars[i]
                if ("0"..."9").contains(u) || u == "-" || u == "+" { i += 1 }
                else if u == "." || u == "e" || u == "E" { isFloat = true; i += 1 }
                else { break }
            }
            let text = String(String.UnicodeScalarView(scalars[start..<i]))
            if !isFloat, let n = Int(text) { return .int(n) }
            guard !text.isEmpty, let d = Double(text) else { throw fail("bad number") }
            return .double(d)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= scalars.count,
                  let v = UInt32(String(String.UnicodeScalarView(scalars[i..<i + 4])), radix: 16)
            else { throw fail("bad \\u escape") }
            i += 4
            return v
        }

        mutating func string() throws -> String {
            i += 1
            var out = String.UnicodeScalarView()
            while true {
                guard i < scalars.count else { throw fail("unterminated string") }
                let u = scalars[i]
                i += 1
                if u == "\"" { return String(out) }
                guard u == "\\" else { out.append(u); continue }
                guard i < scalars.count else { throw fail("unterminated escape") }
                let e = scalars[i]
                i += 1
                switch e {
                case "\"", "\\", "/": out.append(e)
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{c}")
                case "u":
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), i + 1 < scalars.count, scalars[i] == "\\", scalars[i + 1] == "u" {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) { code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) }
                        else { i = save }
                    }
                    // A lone surrogate cannot live in a Swift string; Python would keep it.
                    out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: throw fail("bad escape")
                }
            }
        }
    }
}

/// `json.dumps` as transformers' `tojson` filter calls it (`ensure_ascii=False` by default), so
/// tool schemas in the prompt match the ones the model was trained on byte for byte.
struct JinjaJSONEncoder {
    var ensureASCII = false
    var indent: String?
    var itemSeparator: String
    var keySeparator = ": "
    var sortKeys = false

    init(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
        self.ensureASCII = ensureASCII
        self.indent = indent
        self.sortKeys = sortKeys
        itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        keySeparator = separators?.1 ?? ": "
    }

    func encode(_ v: JinjaValue) throws -> String {
        var out = ""
        try write(v, level: 0, into: &out)
        return out
    }

    private func write(_ v: JinjaValue, level: Int, into out: inout String) throws {
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" }
            else { out += JinjaPrinter.floatRepr(d) }
        case .string(let s): writeString(s, into: &out)
        case .array, .object:
            guard let items = v.sequenceItems else {
                throw JinjaError.type(line: 0, message: "Object of type \(JinjaOps.typeName(v)) is not JSON serializable")
            }
            try writeContainer(items.map { (nil, $0) }, open: "[", close: "]", level: level, into: &out)
        case .dict(let d):
            var pairs = d.pairs.map { (Optional($0.key), $0.value) }
            if sortKeys { pairs.sort { JinjaOps.scalarsLess($0.0!, $1.0!) } }
            try writeContainer(pairs, open: "{", close: "}", level: level, into: &out)
        case .undefined:
            throw JinjaError.type(line: 0, message: "Object of type Undefined is not JSON serializable")
        }
    }

    private func writeContainer(_ items: [(String?, JinjaValue)], open: String, close: String, level: Int, into out: inout String) throws {
        if items.isEmpty { out += open + close; return }
        out += open
        let inner = indent.map { "\n" + String(repeating: $0, count: level + 1) }
        for (n, (key, value)) in items.enumerated() {
            if n > 0 { out += itemSeparator }
            if let inner { out += inner }
            if let key { writeString(key, into: &out); out += keySeparator }
            try write(value, level: level + 1, into: &out)
        }
        if let indent { out += "\n" + String(repeating: indent, count: level) }
        out += close
    }

    private func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            default:
                if u.value < 0x20 { out += Self.u4(u.value) }
                else if ensureASCII && u.value > 0x7e {
                    if u.value >= 0x10000 {
                        let v = u.value - 0x10000
                        out += Self.u4(0xD800 + (v >> 10)) + Self.u4(0xDC00 + (v & 0x3FF))
                    } else { out += Self.u4(u.value) }
                } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }

    private static func u4(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

extension JinjaValue {
    /// Parses JSON text keeping object key order (tool schemas and arguments print back as sent).
    public static func parseJSON(_ text: String) throws -> JinjaValue { try JinjaJSONParser.parse(text) }

    /// The value as JSON text: compact (`,` `:`) or Python `json.dumps`' default separators;
    /// non-ASCII characters as they are.
    public func jsonText(compact: Bool = false) throws -> String {
        try JinjaJSONEncoder(separators: compact ? (",", ":") : (", ", ": ")).encode(self)
    }
}
