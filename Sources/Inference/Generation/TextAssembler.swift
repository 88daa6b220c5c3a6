/// Turns generated tokens into text pieces: holds back bytes of a UTF-8 character split across
/// tokens, and text that might be the start of a stop sequence, until they are settled.
/// Works on Unicode scalars so that pieces concatenate to exactly the decoded text.
struct TextAssembler {
    private let stops: [[Unicode.Scalar]]
    private var pendingBytes: [UInt8] = []
    /// Decoded scalars not yet released, with the index of the token each came from.
    private var held: [(Unicode.Scalar, Int)] = []
    private(set) var stopped = false

    init(stops: [String]) { self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) } }

    /// Adds token `index`'s bytes; returns (token index, released text) pieces now safe to emit.
    mutating func add(bytes: [UInt8], index: Int) -> [(Int, String)] {
        pendingBytes += bytes
        let (text, rest) = Self.splitValidUTF8(pendingBytes)
        pendingBytes = rest
        for sc in text.unicodeScalars { held.append((sc, index)) }
        let s = held.map(\.0)
        var stopAt: Int? = nil
        for stop in stops {
            if let at = Self.find(stop, in: s) { stopAt = min(stopAt ?? at, at) }
        }
        if let stopAt {
            defer { held = []; stopped = true }
            return Self.group(held.prefix(stopAt))
        }
        // Release everything except the longest suffix that could begin a stop sequence.
        var hold = 0
        for stop in stops {
            for n in stride(from: min(stop.count - 1, s.count), through: 1, by: -1)
            where Array(s.suffix(n)) == Array(stop.prefix(n)) {
                hold = max(hold, n); break
            }
        }
        let release = held.count - hold
        defer { held.removeFirst(release) }
        return Self.group(held.prefix(release))
    }

    /// Whatever is still held (at the end of generation).
    mutating func flush(lastIndex: Int) -> [(Int, String)] {
        if !pendingBytes.isEmpty {
            for sc in String(decoding: pendingBytes, as: UTF8.self).unicodeScalars { held.append((sc, lastIndex)) }
            pendingBytes = []
        }
        defer { held = [] }
        return Self.group(held[...])
    }

    private static func find(_ needle: [Unicode.Scalar], in hay: [Unicode.Scalar]) -> Int? {
        guard needle.count <= hay.count else { return nil }
        outer: for i in 0...(hay.count - needle.count) {
            for j in 0..<needle.count where hay[i + j] != needle[j] { continue outer }
            return i
        }
        return nil
    }

    private static func group(_ scalars: ArraySlice<(Unicode.Scalar, Int)>) -> [(Int, String)] {
        var out: [(Int, String)] = []
        for (sc, i) in scalars {
            if let last = out.last, last.0 == i { out[out.count - 1].1.unicodeScalars.append(sc) } else { out.append((i, String(sc))) }
        }
        return out
    }

    /// Complete characters of `bytes`, and a trailing incomplete UTF-8 sequence (at most 3 bytes).
    /// Invalid bytes become U+FFFD.
    static func splitValidUTF8(_ bytes: [UInt8]) -> (String, [UInt8]) {
        var cut = bytes.count
        var i = bytes.count - 1, back = 0
        while i >= 0 && back < 4 {
            let b = bytes[i]
            if b & 0xC0 == 0x80 { i -= 1; back += 1; continue }
            let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            if need > bytes.count - i && need - 1 >= back + 0 { cut = i }
            break
        }
        return (String(decoding: bytes[..<cut], as: UTF8.self), Array(bytes[cut...]))
    }
}
