/// git's pkt-line framing: four hex digits giving the total length (including
/// the four digits) followed by the payload. Lengths 0000-0002 are special
/// markers with no payload.
public enum PktLine: Equatable, Sendable {
    case data([UInt8])
    /// 0000: end of a message section.
    case flush
    /// 0001: protocol v2 separator between a command's capabilities and arguments.
    case delimiter
    /// 0002: protocol v2 end of a stateless response.
    case responseEnd

    /// Largest packet git accepts: 65516 payload bytes + 4 length digits.
    public static let maxLength = 65520
    public static let maxPayload = maxLength - 4

    public var bytes: [UInt8] {
        switch self {
        case .flush: return Array("0000".utf8)
        case .delimiter: return Array("0001".utf8)
        case .responseEnd: return Array("0002".utf8)
        case .data(let payload):
            precondition(payload.count <= PktLine.maxPayload, "pkt-line payload too long")
            return PktLine.lengthPrefix(payload.count + 4) + payload
        }
    }

    /// A text line; git's text packets end in "\n".
    public static func text(_ s: String) -> PktLine {
        .data(Array((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }

    static func lengthPrefix(_ n: Int) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[(n >> 12) & 0xF], digits[(n >> 8) & 0xF], digits[(n >> 4) & 0xF], digits[n & 0xF]]
    }

    /// The payload as text with one trailing "\n" removed, or nil for markers.
    public var text: String? {
        guard case .data(var p) = self else { return nil }
        if p.last == UInt8(ascii: "\n") { p.removeLast() }
        return String(decoding: p, as: UTF8.self)
    }
}

public enum PktLineError: Error, Equatable, Sendable {
    case truncated
    case invalidLength(String)
}

/// Sequential decoder over a request body. After the command section of a
/// push the remaining bytes are a raw pack, hence `remainder`.
public struct PktLineReader: Sendable {
    private let buffer: [UInt8]
    public private(set) var position: Int

    public init(_ buffer: [UInt8], position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    public var isAtEnd: Bool { position >= buffer.count }
    public var remainder: ArraySlice<UInt8> { buffer[min(position, buffer.count)...] }

    /// Next packet, or nil at the end of input.
    public mutating func next() throws(PktLineError) -> PktLine? {
        guard position < buffer.count else { return nil }
        guard position + 4 <= buffer.count else { throw .truncated }
        var n = 0
        for i in position..<(position + 4) {
            guard let v = hexValue(buffer[i]) else {
                throw .invalidLength(String(decoding: buffer[position..<(position + 4)], as: UTF8.self))
            }
            n = n << 4 | Int(v)
        }
        switch n {
        case 0: position += 4; return .flush
        case 1: position += 4; return .delimiter
        case 2: position += 4; return .responseEnd
        case 3: throw .invalidLength("0003")
        case 4...PktLine.maxLength:
            guard position + n <= buffer.count else { throw .truncated }
            let payload = Array(buffer[(position + 4)..<(position + n)])
            position += n
            return .data(payload)
        default:
            throw .invalidLength(String(n, radix: 16))
        }
    }

    /// Reads packets up to (and consuming) the next flush or delimiter, which
    /// is returned as the terminator; nil terminator means end of input.
    public mutating func section() throws(PktLineError) -> (lines: [[UInt8]], terminator: PktLine?) {
        var lines: [[UInt8]] = []
        while let p = try next() {
            switch p {
            case .data(let d): lines.append(d)
            default: return (lines, p)
            }
        }
        return (lines, nil)
    }
}

/// side-band-64k multiplexing: each packet's first payload byte names a
/// channel (1 = pack data, 2 = progress text, 3 = fatal error).
public enum SideBand: UInt8, Sendable {
    case data = 1
    case progress = 2
    case error = 3

    /// 65520 minus 4 length digits minus the band byte.
    public static let maxChunk = PktLine.maxPayload - 1

    /// Frames `payload` into as many band packets as needed.
    public static func frame(_ payload: [UInt8], band: SideBand, into out: inout [UInt8]) {
        var i = 0
        while i < payload.count {
            let n = min(maxChunk, payload.count - i)
            out += PktLine.lengthPrefix(n + 5)
            out.append(band.rawValue)
            out += payload[i..<(i + n)]
            i += n
        }
    }

    public static func frame(_ payload: [UInt8], band: SideBand) -> [UInt8] {
        var out: [UInt8] = []
        frame(payload, band: band, into: &out)
        return out
    }
}

/// Small builder for pkt-line responses.
public struct PktLineWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public mutating func text(_ s: String) { bytes += PktLine.text(s).bytes }
    public mutating func data(_ d: [UInt8]) { bytes += PktLine.data(d).bytes }
    public mutating func flush() { bytes += PktLine.flush.bytes }
    public mutating func delimiter() { bytes += PktLine.delimiter.bytes }
    public mutating func responseEnd() { bytes += PktLine.responseEnd.bytes }
    public mutating func raw(_ d: [UInt8]) { bytes += d }
}
