import Foundation

/// Minimal JSON reader that keeps object key order.
struct JinjaJSONReader {
    private let b: [UInt8]
    private var i = 0
    private init(_ d: Data) { b = [UInt8](d) }

    static func parse(_ d: Data) throws -> JinjaValue {
        var r = JinjaJSONReader(d)
        let v = try r.value()
        r.ws()
        guard r.i == r.b.count else { throw r.fail("trailing characters") }
        return v
    }

    private func fail(_ m: String) -> JinjaError { .syntax("JSON: \(m) at byte \(i)", line: 0) }
    private mutating func ws() { while i < b.count, [0x20, 0x0a, 0x0d, 0x09].contains(b[i]) { i += 1 } }
    private mutating func lit(_ s: String, _ v: JinjaValue) throws -> JinjaValue {
        let u = Array(s.utf8)
        guard i + u.count <= b.count, Array(b[i..<i + u.count]) == u else { throw fail("bad literal") }
        i += u.count; return v
    }

    private mutating func value() throws -> JinjaValue {
        ws()
        guard i < b.count else { throw fail("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var o = JinjaOrderedDict<JinjaValue>()
            ws()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                ws()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected key") }
                let k = try string()
                ws()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                o[k] = try value()
                ws()
                guard i < b.count else { throw fail("unclosed object") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var a: [JinjaValue] = []
            ws()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                a.append(try value())
                ws()
                guard i < b.count else { throw fail("unclosed array") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try lit("true", .bool(true))
        case UInt8(ascii: "f"): return try lit("false", .bool(false))
        case UInt8(ascii: "n"): return try lit("null", .none)
        default: return try number()
        }
    }

    private mutating func number() throws -> JinjaValue {
        let start = i
        var isFloat = false
        while i < b.count, let c = Optional(b[i]), (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { isFloat = true }
            i += 1
        }
        let s = String(decoding: b[start..<i], as: UTF8.self)
        if !isFloat, let v = Int(s) { return .int(v) }
        guard let d = Double(s) else { throw fail("bad number '\(s)'") }
        return .double(d)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else { throw fail("bad \\u escape") }
        i += 4; return v
    }

    private mutating func string() throws -> String {
        i += 1
        var bytes: [UInt8] = []
        while i < b.count {
            let c = b[i]; i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: bytes, as: UTF8.self) }
            if c != UInt8(ascii: "\\") { bytes.append(c); continue }
            guard i < b.count else { break }
            let e = b[i]; i += 1
            switch e {
            case UInt8(ascii: "n"): bytes.append(0x0a)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0d)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0c)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if v >= 0xD800, v < 0xDC00, i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let lo = try hex4()
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                bytes.append(contentsOf: Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8))
            default: bytes.append(e)
            }
        }
        throw fail("unterminated string")
    }
}

/// Python `json.dumps(x, ensure_ascii=False, indent=indent, separators=..., sort_keys=False)`.
enum JinjaJSONWriter {
    static func dumps(_ v: JinjaRuntimeValue, indent: String?, separators: (String, String)?, line: Int) throws -> String {
        let seps = separators ?? (indent == nil ? (", ", ": ") : (",", ": "))
        var out = ""
        try write(v, indent: indent, level: 0, seps: seps, out: &out, line: line)
        return out
    }

    private static func write(_ v: JinjaRuntimeValue, indent: String?, level: Int, seps: (String, String), out: inout String, line: Int) throws {
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : JinjaRuntimeValue.pyFloat(d)
        case .string(let s): out += quote(s)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (n, x) in a.enumerated() {
                if n > 0 { out += seps.0 }
                if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
                try write(x, indent: indent, level: level + 1, seps: seps, out: &out, line: line)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "]"
        case .dict(let d):
            try writeObject(d.pairs, indent: indent, level: level, seps: seps, out: &out, line: line)
        case .namespace(let n):
            try writeObject(n.attrs.pairs, indent: indent, level: level, seps: seps, out: &out, line: line)
        default:
            throw JinjaError.type("Object of type \(v.typeName) is not JSON serializable", line: line)
        }
    }

    private static func writeObject(_ pairs: [(String, JinjaRuntimeValue)], indent: String?, level: Int, seps: (String, String), out: inout String, line: Int) throws {
        if pairs.isEmpty { out += "{}"; return }
        out += "{"
        for (n, (k, x)) in pairs.enumerated() {
            if n > 0 { out += seps.0 }
            if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
            out += quote(k) + seps.1
            try write(x, indent: indent, level: level + 1, seps: seps, out: &out, line: line)
        }
        if let indent { out += "\n" + String(repeating: indent, count: level) }
        out += "}"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
