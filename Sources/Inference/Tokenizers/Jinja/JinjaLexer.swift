import Foundation

struct JinjaToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case blockBegin, blockEnd, variableBegin, variableEnd
        case name(String)
        case string(String)
        case int(Int)
        case float(Double)
        case op(String)
        case eof
    }
    let kind: Kind
    let line: Int
}

/// Splits a template into text and tag tokens, applying whitespace control the way jinja2's lexer
/// does with `trim_blocks=True, lstrip_blocks=True`: a block or comment tag alone on its line
/// takes its indentation and the newline after it, `-` strips all whitespace on that side, `+`
/// turns the automatic trimming off, and one trailing newline of the template is dropped.
struct JinjaLexer {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private var tokens: [JinjaToken] = []
    /// jinja2's `line_starting`: the previous token ended with a newline (or nothing came yet).
    private var lineStarting = true

    static func tokenize(_ source: String) throws -> [JinjaToken] {
        var lexer = JinjaLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private init(source: String) {
        // jinja2 reads any newline style as \n and, without keep_trailing_newline, drops one final newline.
        var text = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if text.hasSuffix("\n") { text.removeLast() }
        s = Array(text.unicodeScalars)
    }

    private func at(_ j: Int, _ lit: String) -> Bool {
        var k = j
        for u in lit.unicodeScalars {
            guard k < s.count, s[k] == u else { return false }
            k += 1
        }
        return true
    }

    private func fail(_ message: String) -> JinjaError { .syntax(line: line, message: message) }

    private mutating func advance(to j: Int) {
        while i < j { if s[i] == "\n" { line += 1 }; i += 1 }
    }

    private mutating func emitText(_ scalars: ArraySlice<Unicode.Scalar>) {
        if !scalars.isEmpty { tokens.append(JinjaToken(kind: .text(String(String.UnicodeScalarView(scalars))), line: line)) }
    }

    /// Text before a tag, after the tag's leading whitespace control.
    private func strippedText(_ text: ArraySlice<Unicode.Scalar>, sign: Unicode.Scalar?, lstrip: Bool) -> ArraySlice<Unicode.Scalar> {
        if sign == "-" {
            var end = text.endIndex
            while end > text.startIndex, JinjaLexer.isSpace(text[end - 1]) { end -= 1 }
            return text[text.startIndex..<end]
        }
        guard sign != "+", lstrip else { return text }
        let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? text.startIndex
        guard lineStart > text.startIndex || lineStarting else { return text }
        if text[lineStart...].allSatisfy({ $0 == " " || $0 == "\t" }) { return text[text.startIndex..<lineStart] }
        return text
    }

    /// Python's `str.isspace`, used by `-` stripping and `\s`.
    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09...0x0d, 0x1c...0x20, 0x85, 0xa0: return true
        default: return u.value > 0xff && u.properties.isWhitespace
        }
    }

    private mutating func run() throws {
        while i < s.count {
            // The earliest tag opener; with none left the rest is text.
            var j = i
            var opener: Unicode.Scalar?
            while j + 1 < s.count {
                if s[j] == "{", ["{", "%", "#"].contains(s[j + 1]) { opener = s[j + 1]; break }
                j += 1
            }
            guard let kind = opener else { emitText(s[i...]); advance(to: s.count); break }
            let sign: Unicode.Scalar? = (j + 2 < s.count && (s[j + 2] == "-" || s[j + 2] == "+")) ? s[j + 2] : nil
            let text = s[i..<j]
            if kind == "%", let rawEnd = rawBlockHeaderEnd(from: j + 2 + (sign == nil ? 0 : 1)) {
                emitText(strippedText(text, sign: sign, lstrip: true))
                advance(to: rawEnd)
                try lexRaw()
                continue
            }
            emitText(strippedText(text, sign: sign, lstrip: kind != "{"))
            advance(to: j + 2 + (sign == nil ? 0 : 1))
            lineStarting = false
            switch kind {
            case "#": try lexComment()
            case "%":
                tokens.append(JinjaToken(kind: .blockBegin, line: line))
                try lexTag(block: true)
            default:
                tokens.append(JinjaToken(kind: .variableBegin, line: line))
                try lexTag(block: false)
            }
        }
        tokens.append(JinjaToken(kind: .eof, line: line))
    }

    /// Consumes a tag end and what trimming takes after it; sets `lineStarting` like jinja2.
    private mutating func consumeEnd(length: Int, sign: Unicode.Scalar?, trimNewline: Bool) {
        var end = i + length
        if sign == "-" {
            while end < s.count, JinjaLexer.isSpace(s[end]) { end += 1 }
        } else if sign == nil, trimNewline, end < s.count, s[end] == "\n" {
            end += 1
        }
        lineStarting = end > 0 && s[end - 1] == "\n" && end > i + length
        advance(to: end)
    }

    private mutating func lexComment() throws {
        while i < s.count {
            if at(i, "+#}") { consumeEnd(length: 3, sign: "+", trimNewline: true); return }
            if at(i, "-#}") { consumeEnd(length: 3, sign: "-", trimNewline: true); return }
            if at(i, "#}") { consumeEnd(length: 2, sign: nil, trimNewline: true); return }
            advance(to: i + 1)
        }
        throw fail("Missing end of comment tag")
    }

    /// `{% raw %}` header end position, if the block tag at `from` is one.
    private func rawBlockHeaderEnd(from: Int) -> Int? {
        var k = from
        while k < s.count, JinjaLexer.isSpace(s[k]) { k += 1 }
        guard at(k, "raw") else { return nil }
        k += 3
        while k < s.count, JinjaLexer.isSpace(s[k]) { k += 1 }
        if at(k, "-%}") { k += 3; while k < s.count, JinjaLexer.isSpace(s[k]) { k += 1 }; return k }
        if at(k, "%}") { return k + 2 }
        return nil
    }

    private mutating func lexRaw() throws {
        var j = i
        while j + 1 < s.count {
            if s[j] == "{", s[j + 1] == "%" {
                let sign: Unicode.Scalar? = (j + 2 < s.count && (s[j + 2] == "-" || s[j + 2] == "+")) ? s[j + 2] : nil
                var k = j + 2 + (sign == nil ? 0 : 1)
                while k < s.count, JinjaLexer.isSpace(s[k]) { k += 1 }
                if at(k, "endraw") {
                    k += 6
                    while k < s.count, JinjaLexer.isSpace(s[k]) { k += 1 }
                    let endSign: Unicode.Scalar? = (at(k, "-%}") ? "-" : at(k, "+%}") ? "+" : nil)
                    if endSign != nil || at(k, "%}") {
                        lineStarting = false
                        emitText(strippedText(s[i..<j], sign: sign, lstrip: true))
                        advance(to: k)
                        consumeEnd(length: endSign == nil ? 2 : 3, sign: endSign, trimNewline: true)
                        return
                    }
                }
            }
            j += 1
        }
        throw fail("Missing end of raw directive")
    }

    private static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")",
                                    "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"]

    private mutating func lexTag(block: Bool) throws {
        var brackets: [Unicode.Scalar] = []
        while true {
            guard i < s.count else { throw fail(block ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'") }
            if brackets.isEmpty {
                if block {
                    if at(i, "+%}") { consumeEnd(length: 3, sign: "+", trimNewline: true); break }
                    if at(i, "-%}") { consumeEnd(length: 3, sign: "-", trimNewline: true); break }
                    if at(i, "%}") { consumeEnd(length: 2, sign: nil, trimNewline: true); break }
                } else {
                    if at(i, "-}}") { consumeEnd(length: 3, sign: "-", trimNewline: false); break }
                    if at(i, "}}") { consumeEnd(length: 2, sign: nil, trimNewline: false); break }
                }
            }
            let u = s[i]
            if JinjaLexer.isSpace(u) { advance(to: i + 1); continue }
            let startLine = line
            if let (value, end) = number(at: i) {
                tokens.append(JinjaToken(kind: value, line: startLine)); advance(to: end); continue
            }
            if u == "_" || u.properties.isAlphabetic {
                var k = i + 1
                while k < s.count, s[k] == "_" || s[k].properties.isAlphabetic || ("0"..."9").contains(s[k]) { k += 1 }
                tokens.append(JinjaToken(kind: .name(String(String.UnicodeScalarView(s[i..<k]))), line: startLine))
                advance(to: k)
                continue
            }
            if u == "'" || u == "\"" {
                let (value, end) = try string(at: i, quote: u)
                tokens.append(JinjaToken(kind: .string(value), line: startLine))
                advance(to: end)
                continue
            }
            guard let op = JinjaLexer.operators.first(where: { at(i, $0) }) else {
                throw fail("unexpected char '\(Character(u))'")
            }
            switch op {
            case "(": brackets.append(")")
            case "[": brackets.append("]")
            case "{": brackets.append("}")
            case ")", "]", "}":
                guard let expected = brackets.popLast() else { throw fail("unexpected '\(op)'") }
                guard String(expected) == op else { throw fail("unexpected '\(op)', expected '\(expected)'") }
            default: break
            }
            tokens.append(JinjaToken(kind: .op(op), line: startLine))
            advance(to: i + op.unicodeScalars.count)
        }
        tokens.append(JinjaToken(kind: block ? .blockEnd : .variableEnd, line: line))
    }

    private func isDigit(_ k: Int) -> Bool { k < s.count && ("0"..."9").contains(s[k]) }

    /// Decimal integers and floats (`1`, `1_000`, `2.5`, `1e5`); a digit right after `.` is an
    /// integer so `items.0` stays an index, as jinja2's float rule's look-behind arranges.
    private func number(at start: Int) -> (JinjaToken.Kind, Int)? {
        guard isDigit(start) else { return nil }
        func digits(_ k: inout Int) { while isDigit(k) || (k < s.count && s[k] == "_" && isDigit(k + 1) && isDigit(k - 1)) { k += 1 } }
        var k = start
        digits(&k)
        var isFloat = false
        let afterDot = start > 0 && s[start - 1] == "."
        if !afterDot, k < s.count, s[k] == ".", isDigit(k + 1) { k += 1; digits(&k); isFloat = true }
        if !afterDot, k < s.count, s[k] == "e" || s[k] == "E" {
            var e = k + 1
            if e < s.count, s[e] == "+" || s[e] == "-" { e += 1 }
            if isDigit(e) { k = e; digits(&k); isFloat = true }
        }
        let text = String(String.UnicodeScalarView(s[start..<k])).replacingOccurrences(of: "_", with: "")
        if isFloat { return (.float(Double(text)!), k) }
        if let n = Int(text) { return (.int(n), k) }
        return (.float(Double(text)!), k)
    }

    /// A string literal, unescaped the way jinja2 does (Python's `unicode_escape`): unknown escapes
    /// keep their backslash.
    private func string(at start: Int, quote: Unicode.Scalar) throws -> (String, Int) {
        var out = String.UnicodeScalarView()
        var k = start + 1
        func hex(_ n: Int) throws -> Unicode.Scalar {
            guard k + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[k..<k + n])), radix: 16),
                  let u = Unicode.Scalar(v) else { throw fail("invalid escape in string literal") }
            k += n
            return u
        }
        while k < s.count {
            let u = s[k]
            k += 1
            if u == quote { return (String(out), k) }
            guard u == "\\", k < s.count else { out.append(u); continue }
            let e = s[k]
            k += 1
            switch e {
            case "\n": break
            case "\\", "'", "\"": out.append(e)
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "a": out.append("\u{7}")
            case "b": out.append("\u{8}")
            case "f": out.append("\u{c}")
            case "v": out.append("\u{b}")
            case "x": out.append(try hex(2))
            case "u": out.append(try hex(4))
            case "U": out.append(try hex(8))
            case "0"..."7":
                var v = e.value - 48
                var n = 1
                while n < 3, k < s.count, ("0"..."7").contains(s[k]) { v = v * 8 + s[k].value - 48; k += 1; n += 1 }
                out.append(Unicode.Scalar(v)!)
            case "N": throw JinjaError.unsupported(line: line, feature: "\\N{...} escapes in string literals")
            default: out.append("\\"); out.append(e)
            }
        }
        throw fail("unterminated string literal")
    }
}
