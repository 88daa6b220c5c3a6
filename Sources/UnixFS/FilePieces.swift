import BlockStore
import Multiformats

/// One stretch of a file's bytes, in file order.
public enum FilePiece: Sendable, Equatable {
    /// A raw leaf not yet fetched: the whole block is `blockSize` bytes (its parent's blocksize), of
    /// which `range` belongs to the requested span. The reader fetches and verifies it, so leaves can
    /// be read ahead in parallel and straight into an output buffer.
    case rawLeaf(CID, blockSize: Int, range: Range<Int>)
    /// Bytes already fetched and verified with an inner node (dag-pb leaves, inline data).
    case bytes(ArraySlice<UInt8>)
}

/// Walks a file DAG in order and yields the pieces covering `from ..< to`, fetching only inner
/// nodes (a few KiB per 174 leaves) and descending only into the children that overlap the span.
/// Memory stays one node per tree level, whatever the file size.
public struct FilePieces {
    private struct Frame {
        var links: [PBLink]
        var sizes: [UInt64]
        var index: Int
        var position: UInt64
    }

    private let exporter: Exporter
    private let from: UInt64
    private let to: UInt64
    private var root: (cid: CID, size: UInt64?)?
    private var stack: [Frame] = []

    /// - Parameters:
    ///   - size: the file's size when the caller knows it (from its metadata); it lets a single-block
    ///     raw file be read like any leaf instead of being fetched here.
    public init(exporter: Exporter, cid: CID, size: UInt64?, from: UInt64, to: UInt64) {
        self.exporter = exporter
        self.from = from
        self.to = to
        self.root = (cid, size)
    }

    public mutating func next() throws -> FilePiece? {
        guard from < to else { return nil }
        if let (cid, size) = root {
            root = nil
            if let piece = try enter(cid, base: 0, size: size) { return piece }
        }
        while var top = stack.last {
            if top.index >= top.links.count || top.position >= to {
                stack.removeLast()
                continue
            }
            let link = top.links[top.index], blockSize = top.sizes[top.index]
            let base = top.position
            top.index += 1
            top.position += blockSize
            stack[stack.count - 1] = top
            guard base + blockSize > from else { continue }
            if let piece = try enter(link.cid, base: base, size: blockSize) { return piece }
        }
        return nil
    }

    /// A piece for a leaf, or nil after pushing an inner node's children (its inline data, when in
    /// the span, is returned first: it precedes the children in file order).
    private mutating func enter(_ cid: CID, base: UInt64, size: UInt64?) throws -> FilePiece? {
        if cid.codec == .raw, let size {
            return clip(base: base, count: size).map { .rawLeaf(cid, blockSize: Int(size), range: $0) }
        }
        switch try exporter.node(cid) {
        case .raw(let block):
            if let size, size != UInt64(block.count) {
                throw UnixFSError.malformedUnixFS("\(cid) is \(block.count) bytes but its parent says \(size)")
            }
            return clip(base: base, count: UInt64(block.count)).map { .bytes(block[$0]) }
        case .file(let pb, let fs):
            guard fs.blocksizes.count == pb.links.count else {
                throw UnixFSError.malformedUnixFS("\(cid) has \(pb.links.count) links but \(fs.blocksizes.count) blocksizes")
            }
            var position = base
            var inline: FilePiece?
            if let data = fs.data, !data.isEmpty {
                inline = clip(base: position, count: UInt64(data.count)).map { .bytes(data[$0]) }
                position += UInt64(data.count)
            }
            if !pb.links.isEmpty {
                stack.append(Frame(links: pb.links, sizes: fs.blocksizes, index: 0, position: position))
            }
            return inline
        case .directory, .hamtShard:
            throw UnixFSError.notAFile(cid, "a directory")
        case .symlink:
            throw UnixFSError.notAFile(cid, "a symlink")
        }
    }

    private func clip(base: UInt64, count: UInt64) -> Range<Int>? {
        let lo = max(from, base), hi = min(to, base + count)
        return hi > lo ? Int(lo - base)..<Int(hi - base) : nil
    }
}
