import BlockStore
import Multiformats
import UnixFS

/// The balanced layout built the plain way, one whole-array leaf at a time on one thread (the
/// importer's earlier implementation): the reference the pipelined `FileBuilder` must match
/// byte for byte, for options the Kubo vectors do not cover.
struct ReferenceFileBuilder {
    let options: ImportOptions

    func root(of bytes: [UInt8], store: any BlockStoring = NullBlockStore()) throws -> ImportedNode {
        var levels: [[ImportedNode]] = [[]]
        func push(_ node: ImportedNode, _ level: Int) throws {
            if level == levels.count { levels.append([]) }
            if levels[level].count == options.maxLinks {
                let full = try makeNode(levels[level], store)
                levels[level] = []
                try push(full, level + 1)
            }
            levels[level].append(node)
        }
        var i = 0
        repeat {
            let chunk = Array(bytes[i..<min(i + options.chunkSize, bytes.count)])
            try push(try leaf(chunk, store), 0)
            i += options.chunkSize
        } while i < bytes.count
        var k = 0
        while true {
            if k == levels.count - 1 {
                let top = levels[k]
                if k == 0 && top.count == 1 { return top[0] }
                return try makeNode(top, store)
            }
            let node = try makeNode(levels[k], store)
            levels[k] = []
            try push(node, k + 1)
            k += 1
        }
    }

    private func leaf(_ chunk: [UInt8], _ store: any BlockStoring) throws -> ImportedNode {
        if options.rawLeaves {
            let cid = CID.hashing(chunk, codec: .raw, version: .v1)
            try store.put(chunk, cid: cid)
            return ImportedNode(cid: cid, size: UInt64(chunk.count), tsize: UInt64(chunk.count))
        }
        let data = UnixFSData(type: .file, data: chunk.isEmpty ? nil : chunk, filesize: UInt64(chunk.count)).encode()
        let block = PBNode(links: [], data: data).encode()
        let cid = CID.hashing(block, codec: .dagPB, version: options.cidVersion)
        try store.put(block, cid: cid)
        return ImportedNode(cid: cid, size: UInt64(chunk.count), tsize: UInt64(block.count))
    }

    private func makeNode(_ children: [ImportedNode], _ store: any BlockStoring) throws -> ImportedNode {
        let fileSize = children.reduce(0) { $0 + $1.size }
        let tsizes = children.reduce(0) { $0 + $1.tsize }
        let data = UnixFSData(type: .file, filesize: fileSize, blocksizes: children.map(\.size)).encode()
        let block = PBNode(links: children.map { PBLink(cid: $0.cid, name: "", tsize: $0.tsize) }, data: data).encode()
        let cid = CID.hashing(block, codec: .dagPB, version: options.cidVersion)
        try store.put(block, cid: cid)
        return ImportedNode(cid: cid, size: fileSize, tsize: UInt64(block.count) + tsizes)
    }
}
