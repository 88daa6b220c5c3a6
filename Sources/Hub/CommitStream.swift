import Foundation
import NIOCore

/// One parsed line of the ndjson commit body. `file` contents arrive already stored.
package enum CommitLine: Sendable {
    case header(summary: String, description: String, parentCommit: String?)
    case file(path: String, content: StoredContent)
    case lfsFile(path: String, oid: String, size: Int64)
    case deletedFile(path: String)
    case deletedFolder(path: String)
}

/// Reads the commit's ndjson incrementally. The base64 `content` of `file` lines is decoded as it
/// streams and written straight to the content store, so a commit with a large regular file is never
/// held in memory; everything else of a line (its "skeleton") is bounded by `maxLineBytes`.
package struct CommitStreamParser {
    static let maxLineBytes = 1 << 20
    static let maxLines = 100_000

    private let store: ContentStore
    private var skeleton: [UInt8] = []
    private var inString = false
    private var escaped = false
    private var stringStart = 0
    /// The last string closed outside streaming, if it was `content`, and nothing but whitespace since.
    private var pendingContentKey = false
    private var awaitingContentValue = false
    private var streaming = false
    private var streamEscape = false
    private var writer: ContentWriter?
    private var streamed: StoredContent?
    private var quad: (UInt32, Int) = (0, 0)
    private var padding = 0
    private var decoded: [UInt8] = []
    package private(set) var lines: [CommitLine] = []

    package init(store: ContentStore) {
        self.store = store
        decoded.reserveCapacity(ContentStore.chunkSize + 4)
    }

    mutating func feed(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { raw in
            try feed(raw)
        }
    }

    package mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        var i = 0
        let n = bytes.count
        while i < n {
            if streaming {
                // Fast path: decode up to the closing quote (or an escape) in bulk.
                var j = i
                while j < n {
                    let b = bytes[j]
                    if streamEscape {
                        streamEscape = false
                        guard b == UInt8(ascii: "/") else { throw CommitStreamError.malformed("unexpected escape in base64 content") }
                        try decodeBase64(b)
                    } else if b == UInt8(ascii: "\"") {
                        break
                    } else if b == UInt8(ascii: "\\") {
                        streamEscape = true
                    } else {
                        try decodeBase64(b)
                    }
                    j += 1
                }
                if decoded.count >= ContentStore.chunkSize { try flushDecoded() }
                if j < n {
                    try endStreaming()
                    skeleton.append(UInt8(ascii: "\""))
                    i = j + 1
                } else {
                    i = n
                }
                continue
            }
            let b = bytes[i]
            i += 1
            if inString {
                skeleton.append(b)
                if escaped { escaped = false }
                else if b == UInt8(ascii: "\\") { escaped = true }
                else if b == UInt8(ascii: "\"") {
                    inString = false
                    pendingContentKey = skeleton[stringStart..<(skeleton.count - 1)].elementsEqual("content".utf8)
                }
                try checkLineLength()
                continue
            }
            if b == UInt8(ascii: "\n") {
                try endLine()
                continue
            }
            if awaitingContentValue {
                if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") { skeleton.append(b); continue }
                awaitingContentValue = false
                if b == UInt8(ascii: "\"") {
                    skeleton.append(b)
                    try startStreaming()
                    continue
                }
            }
            skeleton.append(b)
            try checkLineLength()
            switch b {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = skeleton.count
            case UInt8(ascii: ":"):
                if pendingContentKey { awaitingContentValue = true }
                pendingContentKey = false
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                break
            default:
                pendingContentKey = false
            }
        }
    }

    /// Call once the body has ended.
    package mutating func finish() throws {
        guard !streaming, !inString else { throw CommitStreamError.malformed("the commit body ended inside a line") }
        try endLine()
    }

    private func checkLineLength() throws {
        if skeleton.count > Self.maxLineBytes {
            throw CommitStreamError.tooLarge("a commit line (outside file contents) is over \(Self.maxLineBytes) bytes")
        }
    }

    // MARK: base64

    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(UInt8(ascii: "-"))] = 62; t[Int(UInt8(ascii: "_"))] = 63  // tolerate base64url
        return t
    }()

    private mutating func decodeBase64(_ c: UInt8) throws {
        if c == UInt8(ascii: "=") { padding += 1; return }
        let v = Self.table[Int(c)]
        guard v != 255, padding == 0 else { throw CommitStreamError.malformed("file content is not valid base64") }
        quad.0 = quad.0 << 6 | UInt32(v)
        quad.1 += 1
        if quad.1 == 4 {
            decoded.append(UInt8(truncatingIfNeeded: quad.0 >> 16))
            decoded.append(UInt8(truncatingIfNeeded: quad.0 >> 8))
            decoded.append(UInt8(truncatingIfNeeded: quad.0))
            quad = (0, 0)
        }
    }

    private mutating func flushDecoded() throws {
        guard let writer, !decoded.isEmpty else { return }
        try decoded.withUnsafeBytes { try writer.append($0) }
        decoded.removeAll(keepingCapacity: true)
    }

    private mutating func startStreaming() throws {
        guard writer == nil, streamed == nil else { throw CommitStreamError.malformed("a line holds two 'content' values") }
        writer = store.writer(expectedSize: nil)
        streaming = true
        quad = (0, 0)
        padding = 0
    }

    private mutating func endStreaming() throws {
        streaming = false
        switch quad.1 {
        case 0: break
        case 2: decoded.append(UInt8(truncatingIfNeeded: quad.0 >> 4))
        case 3:
            decoded.append(UInt8(truncatingIfNeeded: quad.0 >> 10))
            decoded.append(UInt8(truncatingIfNeeded: quad.0 >> 2))
        default: throw CommitStreamError.malformed("file content is not valid base64 (truncated)")
        }
        quad = (0, 0)
        try flushDecoded()
        guard let writer else { return }
        streamed = try writer.finish()
        self.writer = nil
    }

    // MARK: lines

    private mutating func endLine() throws {
        defer {
            skeleton.removeAll(keepingCapacity: true)
            pendingContentKey = false
            awaitingContentValue = false
            streamed = nil
        }
        guard skeleton.contains(where: { !($0 == 32 || $0 == 9 || $0 == 13) }) else { return }
        guard lines.count < Self.maxLines else { throw CommitStreamError.tooLarge("over \(Self.maxLines) operations in one commit") }
        guard let line = try? JSONDecoder().decode(CommitLineSkeleton.self, from: Data(skeleton)), let key = line.key else {
            throw CommitStreamError.malformed("each commit line must be a JSON object with a 'key'")
        }
        let value = line.value ?? CommitLineSkeleton.Value()
        func path() throws -> String {
            guard let p = value.path else { throw CommitStreamError.malformed("'\(key)' needs a 'path'") }
            return p
        }
        switch key {
        case "header":
            lines.append(.header(summary: value.summary ?? "", description: value.description ?? "", parentCommit: value.parentCommit))
        case "file":
            guard let content = streamed else { throw CommitStreamError.malformed("a 'file' line needs base64 'content'") }
            if let encoding = value.encoding, encoding != "base64" {
                throw CommitStreamError.malformed("file encoding '\(encoding)' is not supported: use base64")
            }
            lines.append(.file(path: try path(), content: content))
        case "lfsFile":
            guard let oid = value.oid, let size = value.size else {
                throw CommitStreamError.malformed("an 'lfsFile' line needs 'oid' and 'size'")
            }
            if let algo = value.algo, algo != "sha256" { throw CommitStreamError.malformed("LFS algo must be sha256") }
            lines.append(.lfsFile(path: try path(), oid: oid.lowercased(), size: size))
        case "deletedFile":
            lines.append(.deletedFile(path: try path()))
        case "deletedFolder":
            lines.append(.deletedFolder(path: try path()))
        default:
            throw CommitStreamError.malformed("unknown commit line key '\(key)'")
        }
    }
}

enum CommitStreamError: Error, CustomStringConvertible {
    case malformed(String)
    case tooLarge(String)
    var description: String {
        switch self {
        case .malformed(let m): return "Malformed commit: \(m)"
        case .tooLarge(let m): return "Commit too large: \(m)"
        }
    }
}

/// A commit line as `CommitStreamParser` keeps it, its file content taken out while it streamed:
/// `{"key": ..., "value": {...}}`, each field read as absent when missing or of another type.
struct CommitLineSkeleton: Decodable {
    struct Value: Decodable {
        var path, summary, description, parentCommit, encoding, oid, algo: String?
        var size: Int64?

        init() {}

        private enum CodingKeys: String, CodingKey { case path, summary, description, parentCommit, encoding, oid, algo, size }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = c.lenient(String.self, forKey: .path)
            summary = c.lenient(String.self, forKey: .summary)
            description = c.lenient(String.self, forKey: .description)
            parentCommit = c.lenient(String.self, forKey: .parentCommit)
            encoding = c.lenient(String.self, forKey: .encoding)
            oid = c.lenient(String.self, forKey: .oid)
            algo = c.lenient(String.self, forKey: .algo)
            size = c.lenientInt64(forKey: .size)
        }
    }

    var key: String?
    var value: Value?

    private enum CodingKeys: String, CodingKey { case key, value }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = c.lenient(String.self, forKey: .key)
        value = c.lenient(Value.self, forKey: .value)
    }
}
