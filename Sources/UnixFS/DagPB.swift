import Multiformats

/// One dag-pb link: the child's CID, its name (empty for file chunks) and its cumulative size.
public struct PBLink: Sendable, Equatable {
    public var cid: CID
    public var name: String
    /// Child block length plus the child's own links' Tsizes (raw child: its data length).
    public var tsize: UInt64?

    public init(cid: CID, name: String = "", tsize: UInt64?) {
        self.cid = cid
        self.name = name
        self.tsize = tsize
    }
}

/// A dag-pb node (the block format of UnixFS): links, then optional opaque data.
public struct PBNode: Sendable, Equatable {
    public var links: [PBLink]
    public var data: [UInt8]?

    public init(links: [PBLink] = [], data: [UInt8]?) {
        self.links = links
        self.data = data
    }

    /// The canonical encoding: every link before Data; Name and Tsize always written (as Kubo does).
    public func encode() -> [UInt8] {
        var w = ProtoWriter(capacity: (data?.count ?? 0) + links.count * 48 + 8)
        var link = ProtoWriter(capacity: 64)
        for l in links {
            link.bytes.removeAll(keepingCapacity: true)
            link.bytesField(1, l.cid.bytes)
            link.bytesField(2, l.name.utf8)
            if let t = l.tsize { link.varintField(3, t) }
            w.bytesField(2, link.bytes)
        }
        if let data { w.bytesField(1, data) }
        return w.bytes
    }

    /// Exact `encode().count` for a node whose links all carry name and tsize.
    public static func encodedLength(links: some Sequence<PBLink>, dataLength: Int?) -> Int {
        var n = 0
        for l in links {
            var linkLen = ProtoWriter.bytesFieldLength(l.cid.bytes.count)
                + ProtoWriter.bytesFieldLength(l.name.utf8.count)
            if let t = l.tsize { linkLen += 1 + Varint.encodedLength(t) }
            n += ProtoWriter.bytesFieldLength(linkLen)
        }
        if let dataLength { n += ProtoWriter.bytesFieldLength(dataLength) }
        return n
    }

    /// Strict decoding (the dag-pb spec): only fields Links(2) and Data(1), links before data,
    /// each link's Hash, Name, Tsize in order and Hash present, link CIDs valid.
    public init(decoding bytes: [UInt8]) throws(UnixFSError) {
        var r = ProtoReader(bytes[...])
        var links: [PBLink] = []
        var data: [UInt8]?
        do {
            while !r.atEnd {
                let (field, value) = try r.next()
                switch (field, value) {
                case (1, .bytes(let d)):
                    guard data == nil else { throw UnixFSError.malformedDagPB("duplicate Data field") }
                    data = Array(d)
                case (2, .bytes(let l)):
                    guard data == nil else { throw UnixFSError.malformedDagPB("a link comes after Data") }
                    links.append(try PBNode.decodeLink(l))
                default:
                    throw UnixFSError.malformedDagPB("unexpected field \(field) or wrong wire type in PBNode")
                }
            }
        } catch let e as UnixFSError {
            throw e
        } catch let e as ProtoReader.ProtoError {
            throw .malformedDagPB(e.message)
        } catch {
            throw .malformedDagPB("\(error)")
        }
        self.links = links
        self.data = data
    }

    private static func decodeLink(_ bytes: ArraySlice<UInt8>) throws -> PBLink {
        var r = ProtoReader(bytes)
        var cid: CID?
        var name: String?
        var tsize: UInt64?
        var lastField: UInt64 = 0
        while !r.atEnd {
            let (field, value) = try r.next()
            guard field > lastField else {
                throw UnixFSError.malformedDagPB("link field \(field) is repeated or out of order")
            }
            lastField = field
            switch (field, value) {
            case (1, .bytes(let h)):
                do { cid = try CID(bytes: Array(h)) } catch {
                    throw UnixFSError.malformedDagPB("link hash is not a CID: \(error)")
                }
            case (2, .bytes(let n)):
                guard let s = String(validating: n, as: UTF8.self) else {
                    throw UnixFSError.malformedDagPB("link name is not valid UTF-8")
                }
                name = s
            case (3, .varint(let t)):
                tsize = t
            default:
                throw UnixFSError.malformedDagPB("unexpected field \(field) or wrong wire type in PBLink")
            }
        }
        guard let cid else { throw UnixFSError.malformedDagPB("link without a Hash") }
        return PBLink(cid: cid, name: name ?? "", tsize: tsize)
    }
}
