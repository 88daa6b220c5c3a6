import Foundation

/// Python's `str()` and `repr()`, which is what jinja2 prints for `{{ value }}`: `True`, `None`,
/// `1.0`, `['a', 'b']`, `{'a': 1}`. Render-time objects (namespaces) need the render's state, so
/// the caller supplies how to describe them.
struct JinjaPrinter {
    var describeObject: (JinjaObject) throws -> String = { _ in
        throw JinjaError.unsupported(line: 0, feature: "printing a function, macro or loop object")
    }

    func str(_ v: JinjaValue) throws -> String {
        switch v {
        case .string(let s): return s
        case .undefined: return ""
        default: return try repr(v)
        }
    }

    func repr(_ v: JinjaValue) throws -> String {
        switch v {
        case .none: return "None"
        case .undefined: return "Undefined"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return Self.floatRepr(d)
        case .string(let s): return Self.stringRepr(s)
        case .array(let a): return "[" + (try a.map(repr).joined(separator: ", ")) + "]"
        case .dict(let d):
            let parts = try d.pairs.map { Self.stringRepr($0.key) + ": " + (try repr($0.value)) }
            return "{" + parts.joined(separator: ", ") + "}"
        case .object(let o):
            if case .tuple(let t) = o.kind {
                if t.count == 1 { return "(" + (try repr(t[0])) + ",)" }
                return "(" + (try t.map(repr).joined(separator: ", ")) + ")"
            }
            return try describeObject(o)
        }
    }

    /// Python's shortest round-trip float repr: exponent form when the decimal point would sit
    /// more than 16 places right or 4 places left of the first digit.
    static func floatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description already holds the shortest round-trip digits; only the layout differs.
        var text = Substring(abs(d).description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = text[..<e]
        }
        var digits = ""
        var pointAt = text.count
        for (i, c) in text.enumerated() {
            if c == "." { pointAt = i } else { digits.append(c) }
        }
        var decpt = pointAt + exponent
        while digits.first == "0" && digits.count > 1 { digits.removeFirst(); decpt -= 1 }
        while digits.last == "0" && digits.count > 1 { digits.removeLast() }
        let sign = d < 0 ? "-" : ""
        if decpt > -4 && decpt <= 16 {
            if decpt <= 0 { return sign + "0." + String(repeating: "0", count: -decpt) + digits }
            if decpt >= digits.count { return sign + digits + String(repeating: "0", count: decpt - digits.count) + ".0" }
            let i = digits.index(digits.startIndex, offsetBy: decpt)
            return sign + digits[..<i] + "." + digits[i...]
        }
        let e = decpt - 1
        let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
        let expDigits = String(abs(e))
        return sign + mantissa + "e" + (e < 0 ? "-" : "+") + (expDigits.count < 2 ? "0" + expDigits : expDigits)
    }

    /// Python's `repr(str)`: single quotes unless only double quotes avoid escaping.
    static func stringRepr(_ s: String) -> String {
        let hasSingle = s.unicodeScalars.contains("'"), hasDouble = s.unicodeScalars.contains("\"")
        let quote: Unicode.Scalar = (hasSingle && !hasDouble) ? "\"" : "'"
        var out = String(quote)
        for u in s.unicodeScalars {
            switch u {
            case quote, "\\": out += "\\" + String(u)
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isPrintable(u) { out.unicodeScalars.append(u) } else { out += hexEscape(u) }
            }
        }
        out.unicodeScalars.append(quote)
        return out
    }

    static func hexEscape(_ u: Unicode.Scalar) -> String {
        let hex = String(u.value, radix: 16)
        if u.value < 0x100 { return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex }
        if u.value < 0x10000 { return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex }
        return "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Python's `str.isprintable` for one character.
    static func isPrintable(_ u: Unicode.Scalar) -> Bool {
        if u.value < 0x80 { return u.value >= 0x20 && u.value != 0x7f }
        switch u.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default: return true
        }
    }
}
