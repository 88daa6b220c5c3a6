import Foundation

/// Walks a `JSONGrammar` over the bytes generated so far and answers, for a candidate token's
/// bytes, whether the text would still be a prefix of some JSON text the grammar admits.
///
/// A pushdown recogniser: each configuration is a stack of frames (root, object, array, key,
/// string, number, literal). Alternatives (`anyOf`, optional properties, enum values) fork
/// configurations at the byte that starts them; configurations that cannot take a byte die.
/// Whitespace between tokens is allowed but bounded, so a model cannot idle in it.
public struct JSONGrammarMatcher: Sendable {
    enum ObjectPhase: Hashable {
        case open(ws: Int)          // after `{`
        case afterComma(ws: Int)
        case colon(value: Int, ws: Int)     // after a key; `value`: the value's node
        case beforeValue(value: Int, ws: Int)
        case inValue
        case afterValue(ws: Int)
    }

    enum ArrayPhase: Hashable {
        case open(ws: Int)
        case afterComma(ws: Int)
        case inValue
        case afterValue(ws: Int)
    }

    enum Frame: Hashable {
        case root(done: Bool, ws: Int)
        /// `next`: index of the first property that may still come.
        case object(node: Int, phase: ObjectPhase, next: Int)
        case array(node: Int, phase: ArrayPhase, count: Int)
        /// Matching a fixed key (its quotes included); on completion the object goes on after property `property`.
        case key(node: Int, property: Int, pos: Int)
        /// `escape`: 0 none, 1 after a backslash, 2...5 hex digits of \uXXXX still due.
        /// `need`: UTF-8 continuation bytes still due; `lo`/`hi`: the range of the next one.
        case string(node: Int, count: Int, escape: Int, need: Int, lo: UInt8, hi: UInt8)
        case number(node: Int, text: [UInt8])
        case literal(node: Int, pos: Int)
    }

    typealias Stack = [Frame]

    public let grammar: JSONGrammar
    var stacks: [Stack]

    static let maxWhitespace = 24

    public init(_ grammar: JSONGrammar) {
        self.grammar = grammar
        stacks = [[.root(done: false, ws: 0)]]
    }

    /// Whether `bytes` may come next.
    public func accepts<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 { run(bytes) != nil }

    /// Takes `bytes` (which `accepts` allowed); false (and no change) if they do not fit.
    @discardableResult
    public mutating func advance<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard let next = run(bytes) else { return false }
        stacks = next
        return true
    }

    /// The configurations after `bytes`; nil as soon as none is left.
    private func run<C: Collection>(_ bytes: C) -> [Stack]? where C.Element == UInt8 {
        var current = stacks
        for b in bytes {
            current = step(current, b)
            if current.isEmpty { return nil }
        }
        return current
    }

    /// The text so far is a whole JSON text of the grammar (generation may end here).
    public var isComplete: Bool { stacks.contains { completes($0) } }

    /// Nothing more may follow: the only way on is to end.
    public var mustEnd: Bool { stacks.allSatisfy { if case .root(true, _) = $0.last { return true }; return false } }

    /// The fewest bytes that make the text whole from here.
    public var bytesToComplete: Int { stacks.map(bytesToComplete).min() ?? 0 }

    private func bytesToComplete(_ s: Stack) -> Int {
        let g = grammar
        /// The required properties from `i` on, each with the comma before it.
        func tail(_ props: [JSONGrammar.Property], from i: Int) -> Int {
            props[min(i, props.count)...].filter(\.required).reduce(0) { $0 + 1 + $1.key.count + 1 + g.shortest[$1.value] }
        }
        var total = 0
        var i = s.count - 1
        while i >= 0 {
            switch s[i] {
            case .root(let done, _):
                if !done && s.count == 1 { total += g.shortest[g.root] }
            case .object(let node, let phase, let next):
                guard case .object(let props, let additional) = g.nodes[node] else { break }
                let rest = tail(props, from: next)
                switch phase {
                case .open: total += rest == 0 ? 1 : rest
                case .afterValue, .inValue: total += rest + 1
                case .colon(let value, _): total += 1 + g.shortest[value] + rest + 1
                case .beforeValue(let value, _): total += g.shortest[value] + rest + 1
                case .afterComma:
                    // Some property must follow the comma: the cheapest one still allowed.
                    if rest > 0 { total += rest }
                    else if let additional { total += 3 + g.shortest[additional] + 1 }
                    else { total += (props[min(next, props.count)...].map { $0.key.count + 1 + g.shortest[$0.value] }.min() ?? 0) + 1 }
                }
            case .key(let node, let property, let pos):
                // The object below still reads as before its key: count it here, from this property.
                guard case .object(let props, _) = g.nodes[node] else { break }
                total += props[property].key.count - pos + 1 + g.shortest[props[property].value] + tail(props, from: property + 1) + 1
                i -= 1
            case .array(let node, let phase, let count):
                guard case .array(let items, let lo, _) = g.nodes[node] else { break }
                let v = g.shortest[items]
                switch phase {
                case .open: total += lo == 0 ? 1 : lo * v + (lo - 1) + 1
                case .afterValue: total += max(lo - count, 0) * (1 + v) + 1
                case .inValue: total += max(lo - count - 1, 0) * (1 + v) + 1
                case .afterComma: let n = max(lo - count, 1); total += n * v + (n - 1) + 1
                }
            case .string(let node, let count, let escape, let need, _, _):
                var lo = 0
                if case .string(let a, _) = g.nodes[node] { lo = a }
                total += 1 + max(lo - count, 0) + need + (escape == 1 ? 1 : escape >= 2 ? (escape == 6 ? 3 : 6 - escape) : 0)
            case .number(let node, let text):
                total += numberEnds(node, text) ? 0 : 1
            case .literal(let node, let pos):
                if case .literal(let b) = g.nodes[node] { total += b.count - pos }
            }
            i -= 1
        }
        return total
    }

    private func completes(_ s: Stack) -> Bool {
        if case .root(true, _) = s.last { return true }
        // A top-level number ends at the end of the text.
        if s.count == 2, case .number(let node, let text) = s[1], numberEnds(node, text) { return true }
        return false
    }

    func step(_ stacks: [Stack], _ b: UInt8) -> [Stack] {
        var out: [Stack] = []
        for s in stacks { feed(s, b, into: &out) }
        if out.count > 1 { out = Array(Set(out)) }
        return out
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Every configuration `s` becomes on byte `b`.
    private func feed(_ s: Stack, _ b: UInt8, into out: inout [Stack]) {
        guard let top = s.last else { return }
        var s = s
        switch top {
        case .root(let done, let ws):
            if done { return }
            if Self.isSpace(b) { if ws < Self.maxWhitespace { s[s.count - 1] = .root(done: false, ws: ws + 1); out.append(s) }; return }
            start(grammar.root, s, b, into: &out)

        case .object(let node, let phase, let next):
            guard case .object(let props, let additional) = grammar.nodes[node] else { return }
            func set(_ p: ObjectPhase, _ n: Int = next) { s[s.count - 1] = .object(node: node, phase: p, next: n); out.append(s) }
            let remainingOptional = props[min(next, props.count)...].allSatisfy { !$0.required }
            switch phase {
            case .open(let ws), .afterComma(let ws):
                if Self.isSpace(b) { if ws < Self.maxWhitespace { set(phaseWith(phase, ws + 1)) }; return }
                if b == UInt8(ascii: "}"), case .open = phase, remainingOptional { pop(s, into: &out); return }
                guard b == UInt8(ascii: "\"") else { return }
                if let additional {
                    s[s.count - 1] = .object(node: node, phase: .colon(value: additional, ws: 0), next: next)
                    guard s.count < JSONGrammar.maxDepth else { return }
                    s.append(.string(node: node, count: 0, escape: 0, need: 0, lo: 0, hi: 0))
                    out.append(s)
                    return
                }
                var i = next
                while i < props.count {
                    var k = s
                    k.append(.key(node: node, property: i, pos: 1))
                    out.append(k)
                    if props[i].required { break }
                    i += 1
                }
            case .colon(let value, let ws):
                if Self.isSpace(b) { if ws < Self.maxWhitespace { set(.colon(value: value, ws: ws + 1)) }; return }
                if b == UInt8(ascii: ":") { set(.beforeValue(value: value, ws: 0)) }
            case .beforeValue(let value, let ws):
                if Self.isSpace(b) { if ws < Self.maxWhitespace { set(.beforeValue(value: value, ws: ws + 1)) }; return }
                s[s.count - 1] = .object(node: node, phase: .inValue, next: next)
                start(value, s, b, into: &out)
            case .inValue:
                return   // a child frame is on top while the value is read
            case .afterValue(let ws):
                if Self.isSpace(b) { if ws < Self.maxWhitespace { set(.afterValue(ws: ws + 1)) }; return }
                if b == UInt8(ascii: "}"), remainingOptional { pop(s, into: &out); return }
                if b == UInt8(ascii: ","), additional != nil || next < props.count { set(.afterComma(ws: 0)) }
            }

        case .key(let node, let property, let pos):
            guard case .object(let props, _) = grammar.nodes[node] else { return }
            let key = props[property].key
            guard pos < key.count, key[pos] == b else { return }
            if pos + 1 < key.count { s[s.count - 1] = .key(node: node, property: property, pos: pos + 1); out.append(s); return }
            s.removeLast()
            s[s.count - 1] = .object(node: node, phase: .colon(value: props[property].value, ws: 0), next: property + 1)
            out.append(s)

        case .array(let node, let phase, let count):
            guard case .array(let items, let lo, let hi) = grammar.nodes[node] else { return }
            func set(_ p: ArrayPhase, _ c: Int = count) { s[s.count - 1] = .array(node: node, phase: p, count: c); out.append(s) }
            switch phase {
            case .open(let ws), .afterComma(let ws):
                if Self.isSpace(b) {
                    if ws < Self.maxWhitespace { if case .open = phase { set(.open(ws: ws + 1)) } else { set(.afterComma(ws: ws + 1)) } }
                    return
                }
                if b == UInt8(ascii: "]"), case .open = phase, lo == 0 { pop(s, into: &out); return }
                if let hi, count >= hi { return }
                s[s.count - 1] = .array(node: node, phase: .inValue, count: count)
                start(items, s, b, into: &out)
            case .inValue:
                return
            case .afterValue(let ws):
                if Self.isSpace(b) { if ws < Self.maxWhitespace { set(.afterValue(ws: ws + 1)) }; return }
                if b == UInt8(ascii: "]"), count >= lo { pop(s, into: &out); return }
                if b == UInt8(ascii: ","), hi.map({ count < $0 }) ?? true { set(.afterComma(ws: 0)) }
            }

        case .string(let node, let count, let escape, let need, let lo, let hi):
            let (minLength, maxLength): (Int, Int)
            if case .string(let a, let z) = grammar.nodes[node] { (minLength, maxLength) = (a, z) } else { (minLength, maxLength) = (0, JSONGrammar.defaultMaxStringLength) }
            func set(count c: Int = count, escape e: Int = 0, need n: Int = 0, lo l: UInt8 = 0x80, hi h: UInt8 = 0xBF) {
                s[s.count - 1] = .string(node: node, count: c, escape: e, need: n, lo: l, hi: h); out.append(s)
            }
            if need > 0 {
                guard b >= lo && b <= hi else { return }
                set(need: need - 1)
                return
            }
            if escape == 1 {
                if b == UInt8(ascii: "u") { set(escape: 2); return }
                if [UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t")].contains(b) { set() }
                return
            }
            if escape >= 2 {
                guard Self.hexValue(b) != nil else { return }
                // No lone surrogates: \uD800-\uDFFF would not decode on their own.
                if escape == 2, b == UInt8(ascii: "d") || b == UInt8(ascii: "D") { set(escape: 6); return }
                if escape == 6 { guard let v = Self.hexValue(b), v < 8 else { return }; set(escape: 4); return }
                if escape < 5 { set(escape: escape + 1) } else { set() }
                return
            }
            if b == UInt8(ascii: "\"") {
                guard count >= minLength else { return }
                pop(s, into: &out)
                return
            }
            guard b >= 0x20, count < maxLength else { return }
            if b == UInt8(ascii: "\\") { set(count: count + 1, escape: 1); return }
            switch b {
            case 0x20..<0x80: set(count: count + 1)
            case 0xC2...0xDF: set(count: count + 1, need: 1)
            case 0xE0: set(count: count + 1, need: 2, lo: 0xA0, hi: 0xBF)
            case 0xED: set(count: count + 1, need: 2, lo: 0x80, hi: 0x9F)
            case 0xE1...0xEF: set(count: count + 1, need: 2)
            case 0xF0: set(count: count + 1, need: 3, lo: 0x90, hi: 0xBF)
            case 0xF4: set(count: count + 1, need: 3, lo: 0x80, hi: 0x8F)
            case 0xF1...0xF3: set(count: count + 1, need: 3)
            default: return
            }

        case .number(let node, let text):
            let longer = text + [b]
            if numberViable(node, longer) { s[s.count - 1] = .number(node: node, text: longer); out.append(s) }
            // The byte may also end the number and belong to what follows.
            if numberEnds(node, text) {
                var popped: [Stack] = []
                pop(s, into: &popped)
                for p in popped { feed(p, b, into: &out) }
            }

        case .literal(let node, let pos):
            guard case .literal(let bytes) = grammar.nodes[node], pos < bytes.count, bytes[pos] == b else { return }
            if pos + 1 < bytes.count { s[s.count - 1] = .literal(node: node, pos: pos + 1); out.append(s) } else { pop(s, into: &out) }
        }
    }

    private func phaseWith(_ p: ObjectPhase, _ ws: Int) -> ObjectPhase {
        if case .open = p { return .open(ws: ws) }
        return .afterComma(ws: ws)
    }

    /// Starts a value of `node` whose first byte is `b`, on top of `s`.
    private func start(_ node: Int, _ s: Stack, _ b: UInt8, into out: inout [Stack], depth: Int = 0) {
        guard s.count < JSONGrammar.maxDepth, depth < 32 else { return }
        var s = s
        switch grammar.nodes[node] {
        case .anyOf(let alts):
            for a in alts { start(a, s, b, into: &out, depth: depth + 1) }
        case .object:
            guard b == UInt8(ascii: "{") else { return }
            s.append(.object(node: node, phase: .open(ws: 0), next: 0)); out.append(s)
        case .array:
            guard b == UInt8(ascii: "[") else { return }
            s.append(.array(node: node, phase: .open(ws: 0), count: 0)); out.append(s)
        case .string:
            guard b == UInt8(ascii: "\"") else { return }
            s.append(.string(node: node, count: 0, escape: 0, need: 0, lo: 0, hi: 0)); out.append(s)
        case .number:
            guard numberViable(node, [b]) else { return }
            s.append(.number(node: node, text: [b])); out.append(s)
        case .literal(let bytes):
            guard bytes.first == b else { return }
            if bytes.count == 1 { pop(s + [.literal(node: node, pos: 1)], into: &out) } else { s.append(.literal(node: node, pos: 1)); out.append(s) }
        }
    }

    /// Ends the top frame's value and moves its parent on.
    private func pop(_ s: Stack, into out: inout [Stack]) {
        var s = s
        s.removeLast()
        guard let parent = s.last else { return }
        switch parent {
        case .root: s[s.count - 1] = .root(done: true, ws: 0)
        case .object(let node, let phase, let next):
            // A free-form key just closed: its colon is next; otherwise a value did.
            if case .colon = phase { out.append(s); return }
            s[s.count - 1] = .object(node: node, phase: .afterValue(ws: 0), next: next)
        case .array(let node, _, let count): s[s.count - 1] = .array(node: node, phase: .afterValue(ws: 0), count: count + 1)
        default: return
        }
        out.append(s)
    }

    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(b - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(b - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// A number's text split into sign, integer digits, and fraction digits (nil: no point yet);
    /// nil when it is not a prefix of JSON's number syntax (exponents are not produced).
    private func parts(_ text: [UInt8], integer: Bool) -> (negative: Bool, int: [UInt8], frac: [UInt8]?)? {
        var i = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { i = 1 }
        var int: [UInt8] = [], frac: [UInt8]? = nil
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: ".") {
                guard !integer, frac == nil, !int.isEmpty else { return nil }
                frac = []
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                if frac != nil { frac!.append(c) } else {
                    if int == [UInt8(ascii: "0")] { return nil }   // no leading zeros
                    int.append(c)
                }
            } else { return nil }
            i += 1
        }
        if int.count > JSONGrammar.maxIntegerDigits || (frac?.count ?? 0) > JSONGrammar.maxFractionDigits { return nil }
        return (negative, int, frac)
    }

    private func numberNode(_ node: Int) -> (Bool, JSONGrammar.NumberBounds) {
        if case .number(let integer, let bounds) = grammar.nodes[node] { return (integer, bounds) }
        return (false, .init())
    }

    /// The value the client's parser reads (correctly rounded, as Python's float() and JSON do),
    /// so that a bound such as `maximum: 1.89` admits the text `1.89`.
    static func decimal(_ int: [UInt8], _ frac: [UInt8]?) -> Double {
        let text = String(decoding: int + (frac.map { [UInt8(ascii: ".")] + $0 } ?? []), as: UTF8.self)
        return Double(text.hasSuffix(".") ? String(text.dropLast()) : text) ?? value(int)
    }

    static func value(_ digits: [UInt8]) -> Double { digits.reduce(0.0) { $0 * 10 + Double($1 - UInt8(ascii: "0")) } }

    /// Whether `text` can still be completed into an in-bounds number: each way of going on
    /// (more integer digits, a fraction) reaches a closed range of values, bounded by the text
    /// padded with 0s and with 9s, read as the client will read them.
    private func numberViable(_ node: Int, _ text: [UInt8]) -> Bool {
        let (integer, bounds) = numberNode(node)
        guard let (neg, int, frac) = parts(text, integer: integer) else { return false }
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        let maxFrac = JSONGrammar.maxFractionDigits
        var spans: [(Double, Double)] = []
        if int.isEmpty {
            spans = [(0, .infinity)]
        } else if let frac {
            let pad = [UInt8](repeating: nine, count: maxFrac - frac.count)
            spans = [(Self.decimal(int, frac), Self.decimal(int, frac + pad))]
        } else {
            let nines = [UInt8](repeating: nine, count: maxFrac)
            let widest = int == [zero] ? 0 : JSONGrammar.maxIntegerDigits - int.count
            for k in 0...max(widest, 0) {
                let low = int + [UInt8](repeating: zero, count: k), high = int + [UInt8](repeating: nine, count: k)
                spans.append((Self.decimal(low, nil), integer ? Self.decimal(high, nil) : Self.decimal(high, nines)))
            }
        }
        return spans.contains { a, b in neg ? bounds.meets(-b, -a, integer: integer) : bounds.meets(a, b, integer: integer) }
    }

    /// Whether `text` is a whole number in bounds (so a following byte may end it).
    private func numberEnds(_ node: Int, _ text: [UInt8]) -> Bool {
        let (integer, bounds) = numberNode(node)
        guard let (neg, int, frac) = parts(text, integer: integer), !int.isEmpty, frac.map({ !$0.isEmpty }) ?? true else { return false }
        let v = Self.decimal(int, frac)
        return bounds.contains(neg ? -v : v)
    }
}
