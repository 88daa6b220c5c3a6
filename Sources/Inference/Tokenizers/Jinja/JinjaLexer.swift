import Foundation

enum JinjaToken: Equatable {
    case name(String), string(String), int(Int), double(Double), op(String)
}

struct JinjaSegment {
    enum Kind { case text(String), output([JinjaToken]), block([JinjaToken]), comment }
    var kind: Kind
    var line: Int
    // Whitespace-control markers of the tag, used by the trim pass.
    var leftMinus = false, leftPlus = false, rightMinus = false, rightPlus = false
    var isBlockLike: Bool {
        switch kind { case .block, .comment: return true; default: return false }
    }
    var isText: Bool { if case .text = kind { return true }; return false }
}

/// Splits a template into text and tag segments, then applies `-`/`+` markers and the
/// trim_blocks/lstrip_blocks rules the way jinja2's lexer does.
struct JinjaLexer {
    let chars: [Character]
    var pos = 0
    var line = 1

    /// Like jinja2: newlines are normalised to "\n" and one trailing newline is dropped
    /// (keep_trailing_newline=False).
    init(_ source: String) {
        var s = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if s.hasSuffix("\n") { s.removeLast() }
        chars = Array(s)
    }

    static func lex(_ source: String) throws -> [JinjaSegment] {
        var lexer = JinjaLexer(source)
        return trim(try lexer.segments())
    }

    private func at(_ i: Int) -> Character? { i < chars.count ? chars[i] : nil }

    private mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where pos < chars.count {
            if chars[pos] == "\n" { line += 1 }
            pos += 1
        }
    }

    /// Always alternates text, tag, text, ... so the trim pass sees every gap, even empty ones.
    mutating func segments() throws -> [JinjaSegment] {
        var out: [JinjaSegment] = []
        var text = ""
        var textLine = line
        while pos < chars.count {
            let c = chars[pos]
            if c == "{", let n = at(pos + 1), n == "{" || n == "%" || n == "#" {
                out.append(JinjaSegment(kind: .text(text), line: textLine))
                text = ""
                let tagLine = line
                advance(2)
                var seg = JinjaSegment(kind: .comment, line: tagLine)
                if at(pos) == "-" { seg.leftMinus = true; advance() } else if at(pos) == "+" { seg.leftPlus = true; advance() }
                if n == "#" {
                    while pos < chars.count, !(chars[pos] == "#" && at(pos + 1) == "}") { advance() }
                    guard pos < chars.count else { throw JinjaError.syntax("unclosed comment", line: tagLine) }
                    if chars[pos - 1] == "-" { seg.rightMinus = true }
                    if chars[pos - 1] == "+" { seg.rightPlus = true }
                    advance(2)
                } else {
                    let close: Character = n == "{" ? "}" : "%"
                    let (toks, rm, rp) = try tokens(until: close, tagLine: tagLine)
                    seg.rightMinus = rm; seg.rightPlus = rp
                    seg.kind = n == "{" ? .output(toks) : .block(toks)
                }
                out.append(seg)
                textLine = line
            } else {
                text.append(c)
                advance()
            }
        }
        out.append(JinjaSegment(kind: .text(text), line: textLine))
        return out
    }

    private mutating func tokens(until close: Character, tagLine: Int) throws -> ([JinjaToken], Bool, Bool) {
        var toks: [JinjaToken] = []
        var depth = 0
        while true {
            guard let c = at(pos) else { throw JinjaError.syntax("unclosed tag", line: tagLine) }
            if c == " " || c == "\t" || c == "\n" || c == "\r" { advance(); continue }
            if depth == 0 {
                if c == close, at(pos + 1) == "}" { advance(2); return (toks, false, false) }
                if c == "-" || c == "+", at(pos + 1) == close, at(pos + 2) == "}" {
                    advance(3); return (toks, c == "-", c == "+")
                }
            }
            if c == "'" || c == "\"" {
                toks.append(.string(try stringLiteral(quote: c)))
            } else if c.isASCII, c.isNumber {
                toks.append(number())
            } else if c.isLetter || c == "_" {
                var s = ""
                while let d = at(pos), d.isLetter || d.isNumber || d == "_" { s.append(d); advance() }
                toks.append(.name(s))
            } else {
                let two = at(pos + 1).map { String(c) + String($0) } ?? ""
                if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
                    toks.append(.op(two)); advance(2)
                } else if "+-*/%~<>=()[]{},.:|".contains(c) {
                    if "([{".contains(c) { depth += 1 }
                    if ")]}".contains(c) { depth -= 1 }
                    toks.append(.op(String(c))); advance()
                } else {
                    throw JinjaError.syntax("unexpected character '\(c)'", line: line)
                }
            }
        }
    }

    private mutating func stringLiteral(quote: Character) throws -> String {
        let startLine = line
        advance()
        var s = ""
        while let c = at(pos) {
            if c == quote { advance(); return s }
            if c == "\\", let e = at(pos + 1) {
                advance(2)
                switch e {
                case "n": s.append("\n")
                case "t": s.append("\t")
                case "r": s.append("\r")
                case "\\": s.append("\\")
                case "'": s.append("'")
                case "\"": s.append("\"")
                case "0": s.append("\0")
                case "u", "x":
                    let len = e == "u" ? 4 : 2
                    var hex = ""
                    for _ in 0..<len { if let h = at(pos) { hex.append(h); advance() } }
                    if let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) { s.unicodeScalars.append(u) }
                    else { throw JinjaError.syntax("bad escape \\\(e)\(hex)", line: line) }
                case "\n": break
                default: s.append("\\"); s.append(e) // Python keeps unknown escapes verbatim.
                }
                continue
            }
            s.append(c); advance()
        }
        throw JinjaError.syntax("unterminated string", line: startLine)
    }

    private mutating func number() -> JinjaToken {
        var s = ""
        var isFloat = false
        while let d = at(pos), (d.isASCII && d.isNumber) || d == "_" { if d != "_" { s.append(d) }; advance() }
        if at(pos) == ".", let d = at(pos + 1), d.isASCII, d.isNumber {
            isFloat = true; s.append("."); advance()
            while let d = at(pos), (d.isASCII && d.isNumber) || d == "_" { if d != "_" { s.append(d) }; advance() }
        }
        if at(pos) == "e" || at(pos) == "E" {
            var j = pos + 1
            if at(j) == "+" || at(j) == "-" { j += 1 }
            if let d = at(j), d.isASCII, d.isNumber {
                isFloat = true
                while pos < j { s.append(chars[pos]); advance() }
                while let d = at(pos), d.isASCII, d.isNumber { s.append(d); advance() }
            }
        }
        if !isFloat, let i = Int(s) { return .int(i) }
        return .double(Double(s) ?? 0)
    }

    /// jinja2 semantics: `-` strips all whitespace on that side; otherwise a block/comment tag
    /// drops one newline after it (trim_blocks) and the spaces/tabs before it on its own line
    /// (lstrip_blocks), unless the tag carries `+`.
    static func trim(_ segs: [JinjaSegment]) -> [JinjaSegment] {
        var out = segs
        var lineStarting = true
        for i in out.indices {
            guard case .text(var text) = out[i].kind else { continue }
            if i > 0 {
                let prev = out[i - 1]
                lineStarting = false
                if prev.rightMinus {
                    text = String(text.drop(while: { $0.isWhitespace }))
                } else if prev.isBlockLike && !prev.rightPlus {
                    if text.hasPrefix("\r\n") || text.first == "\n" { text.removeFirst(); lineStarting = true }
                }
            }
            if i + 1 < out.count {
                let next = out[i + 1]
                if next.leftMinus {
                    while let l = text.last, l.isWhitespace { text.removeLast() }
                } else if next.isBlockLike && !next.leftPlus {
                    let lineStart = text.lastIndex(of: "\n").map { text.index(after: $0) }
                    if lineStart != nil || lineStarting {
                        let from = lineStart ?? text.startIndex
                        if text[from...].allSatisfy({ $0 == " " || $0 == "\t" }) { text.removeSubrange(from...) }
                    }
                }
            }
            out[i].kind = .text(text)
        }
        return out
    }
}
