import AsyncHTTPClient
import Foundation
import Primitives
import NIOCore

/// A `multipart/form-data` body as Kubo's `ipfs` CLI sends it: one `file` part per entry, folders as
/// `application/x-directory` parts, nested names URL-escaped (`dir%2Fsub%2Ffile`), parents first.
/// Files are streamed from disk, never held whole in memory.
struct MultipartForm: Sendable {
    enum Source: Sendable { case bytes(Data), file(String), directory }
    struct Part: Sendable { let filename: String; let source: Source }

    let boundary = "ipfsaccelerate" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    private(set) var parts: [Part] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func addData(_ data: Data, filename: String) { parts.append(Part(filename: filename, source: .bytes(data))) }
    mutating func addFile(_ path: String, filename: String) { parts.append(Part(filename: filename, source: .file(path))) }
    mutating func addDirectory(filename: String) { parts.append(Part(filename: filename, source: .directory)) }

    /// Adds `path` (a file, or a folder tree when `recursive`) under its base name.
    mutating func addTree(_ path: String, includeHidden: Bool) throws {
        let fm = FileManager.default
        let root = (path as NSString).lastPathComponent
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw BackendError.invalidInput("no such path: \(path)") }
        guard isDir.boolValue else { addFile(path, filename: root); return }
        func walk(_ dir: String, _ name: String) throws {
            addDirectory(filename: name)
            let children = try fm.contentsOfDirectory(atPath: dir).sorted()
            for child in children where includeHidden || !child.hasPrefix(".") {
                let full = (dir as NSString).appendingPathComponent(child)
                var d: ObjCBool = false
                _ = fm.fileExists(atPath: full, isDirectory: &d)
                if d.boolValue { try walk(full, name + "/" + child) } else { addFile(full, filename: name + "/" + child) }
            }
        }
        try walk(path, root)
    }

    private func header(_ p: Part) -> Data {
        let escaped = PercentEncoding.encode(p.filename, extraAllowed: " ")
        let type: String
        switch p.source { case .directory: type = "application/x-directory"; default: type = "application/octet-stream" }
        return Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(escaped)\"\r\n"
            + "Content-Type: \(type)\r\n\r\n").utf8)
    }

    private func size(_ p: Part) -> Int {
        switch p.source {
        case .bytes(let d): return d.count
        case .file(let path): return ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
        case .directory: return 0
        }
    }

    func body() -> HTTPClientRequest.Body {
        let closing = Data("--\(boundary)--\r\n".utf8)
        var length = closing.count
        for p in parts { length += header(p).count + size(p) + 2 }
        let pieces: [Piece] = parts.flatMap { p -> [Piece] in
            switch p.source {
            case .bytes(let d): return [.bytes(header(p)), .bytes(d), .bytes(Data("\r\n".utf8))]
            case .directory: return [.bytes(header(p)), .bytes(Data("\r\n".utf8))]
            case .file(let path): return [.bytes(header(p)), .file(path), .bytes(Data("\r\n".utf8))]
            }
        } + [.bytes(closing)]
        let stream = PieceSequence(pieces: pieces)
        return .stream(stream, length: .known(Int64(length)))
    }
}

enum Piece: Sendable { case bytes(Data), file(String) }

/// Reads the pieces on demand, so a slow upload holds at most one chunk in memory (back-pressure).
struct PieceSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let pieces: [Piece]

    struct AsyncIterator: AsyncIteratorProtocol {
        var pieces: [Piece]
        var index = 0
        var handle: FileHandle?

        mutating func next() async throws -> ByteBuffer? {
            while index < pieces.count {
                switch pieces[index] {
                case .bytes(let d):
                    index += 1
                    if !d.isEmpty { return ByteBuffer(bytes: d) }
                case .file(let path):
                    if handle == nil {
                        guard let h = FileHandle(forReadingAtPath: path) else { throw BackendError.invalidInput("cannot read \(path)") }
                        handle = h
                    }
                    let chunk = try handle!.read(upToCount: 1 << 20) ?? Data()
                    if !chunk.isEmpty { return ByteBuffer(bytes: chunk) }
                    try? handle?.close()
                    handle = nil
                    index += 1
                }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pieces: pieces) }
}
