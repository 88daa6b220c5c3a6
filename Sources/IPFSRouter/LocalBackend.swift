import BlockStore
import Foundation
import Multiformats
import UnixFS
import Primitives

/// The `hf_cache` backend: the embedded local store (flatfs blocks + pins in the data directory,
/// `$HF_HOME/ipfs_accelerate` by default, beside the Hugging Face cache). No external dependency;
/// CIDs are Kubo's for the same options.
public final class LocalBackend: IPFSBackend, @unchecked Sendable {
    public let name: String
    public let dataDirectory: DataDirectory
    let store: FlatFSBlockStore
    let pinStore: PinStore

    public init(dataDirectory: DataDirectory, name: String = "hf_cache") throws {
        self.name = name
        self.dataDirectory = dataDirectory
        store = try dataDirectory.openBlockStore()
        pinStore = try dataDirectory.openPinStore()
    }

    public convenience init(settings: RouterSettings) throws {
        try self.init(dataDirectory: DataDirectory(root: URL(fileURLWithPath: settings.dataDirectory)))
    }

    public func availability() async -> BackendAvailability {
        let path = dataDirectory.root.path
        guard FileManager.default.isWritableFile(atPath: dataDirectory.blocks.path) else {
            return .unavailable("the local store at \(path) is not writable")
        }
        return .available("local store at \(path)")
    }

    func cid(_ s: String) throws -> CID {
        do { return try CID(s) } catch { throw BackendError.invalidInput("'\(s)' is not a CID: \(error)") }
    }

    /// Runs store work on a dispatch thread (the store and importer block on file I/O, which must
    /// not starve the few cooperative threads timers and servers need), mapping "not here" to
    /// `.notFound` and everything else to a failure.
    func local<T: Sendable>(_ cid: String?, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await runBlocking { try Self.mapErrors(cid, body) }
    }

    static func mapErrors<T>(_ cid: String?, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as BackendError { throw e } catch BlockStoreError.notFound(let c) {
            throw BackendError.notFound(cid ?? c.description)
        } catch BlockStoreError.notPinned(_) {
            throw BackendError.notFound(cid ?? "pin")
        } catch let e as UnixFSError {
            switch e {
            case .noSuchLink: throw BackendError.notFound(cid ?? "\(e)")
            case .invalidOption, .invalidPath, .notAFile, .notADirectory, .unsafeLinkName, .rangeOutOfBounds, .unsupportedCodec:
                throw BackendError.invalidInput(e.description)
            default: throw BackendError.failed(e.description)
            }
        } catch {
            throw BackendError.failed("\(error)")
        }
    }

    static func importOptions(_ o: AddOptions) throws -> ImportOptions {
        var io = ImportOptions.unixfsV0_2015
        if let v = o.cidVersion {
            guard v == 0 || v == 1 else { throw BackendError.invalidInput("unknown CID version \(v)") }
            io.cidVersion = v == 1 ? .v1 : .v0
            io.rawLeaves = v == 1  // Kubo: --cid-version=1 implies raw leaves unless told otherwise
        }
        if let r = o.rawLeaves { io.rawLeaves = r }
        if let c = o.chunker {
            do { io.chunkSize = try ImportOptions.parseChunker(c) } catch { throw BackendError.invalidInput("\(error)") }
        }
        io.wrapWithDirectory = o.wrapWithDirectory
        io.hidden = o.includeHidden
        return io
    }

    public func addBytes(_ data: Data, pin: Bool) async throws -> String {
        try await local(nil) { [self] in
            let writing = store.beginWrite()   // a gc in another process spares the blocks until pinned
            defer { writing.end() }
            let node = try Importer(store: store).addBytes([UInt8](data))
            if pin { try pinStore.pin(node.cid, recursive: true) }
            return node.cid.description
        }
    }

    /// Every entry of an add (Kubo's output lines), the root last.
    public func addPathEntries(_ path: String, recursive: Bool, pin: Bool, options: AddOptions) async throws -> [AddedEntry] {
        let io = try Self.importOptions(options)
        let target: any BlockStoring = options.onlyHash ? MemoryBlockStore() : store
        return try await local(nil) { [self] in
            let writing = target.beginWrite()
            defer { writing.end() }
            let entries = try Importer(options: io, store: target).addPath(URL(fileURLWithPath: path), recursive: recursive)
            guard let root = entries.last else { throw BackendError.failed("the importer returned nothing for \(path)") }
            if pin && !options.onlyHash { try pinStore.pin(root.cid, recursive: true) }
            return entries
        }
    }

    public func addPath(_ path: String, recursive: Bool, pin: Bool, options: AddOptions) async throws -> String {
        try await addPathEntries(path, recursive: recursive, pin: pin, options: options).last!.cid.description
    }

    public func cat(_ cid: String) async throws -> Data {
        let c = try self.cid(cid)
        return try await local(cid) { [self] in Data(try Exporter(store: store).read(c)) }
    }

    public func catStream(_ cid: String, range: ByteRange?) async throws -> AsyncThrowingStream<Data, any Error> {
        let c = try self.cid(cid)
        let exporter = Exporter(store: store)
        // Fail before the first byte (so the router can fail over) when the root is missing.
        let size = try await local(cid) { [self] in try exporter.fileSize(c) }
        if let r = range, r.offset > size { throw BackendError.invalidInput("offset \(r.offset) is beyond the end of the file (\(size) bytes)") }
        return boundedStream { emit in
            try exporter.forEachChunk(c, offset: range?.offset ?? 0, length: range?.length) { chunk in try emit(Data(chunk)) }
        }
    }

    public func pin(_ cid: String) async throws {
        let c = try self.cid(cid)
        try await local(cid) { [self] in
            try DagLinks.requireComplete(c, in: store)
            try pinStore.pin(c, recursive: true)
        }
    }

    public func unpin(_ cid: String) async throws {
        let c = try self.cid(cid)
        try await local(cid) { [self] in try pinStore.unpin(c) }
    }

    public func pins() async throws -> [String] {
        try await local(nil) { [self] in try pinStore.list().filter { $0.kind == .recursive }.map(\.cid.description) }
    }

    public func blockPut(_ data: Data, codec: String) async throws -> String {
        guard let mc = Multicodec(name: codec), [Multicodec.raw, .dagPB, .dagCBOR, .dagJSON].contains(mc) else {
            throw BackendError.invalidInput("unknown block codec '\(codec)': use raw, dag-pb, dag-cbor or dag-json")
        }
        return try await local(nil) { [self] in
            let cid = CID.hashing([UInt8](data), codec: mc, version: .v1)
            try store.put([UInt8](data), cid: cid)
            try store.sync()
            return cid.description
        }
    }

    public func blockGet(_ cid: String) async throws -> Data {
        let c = try self.cid(cid)
        return try await local(cid) { [self] in Data(try store.get(c)) }
    }

    public func getToPath(_ cid: String, outputPath: String) async throws {
        let c = try self.cid(cid)
        try await writeAtomically(outputPath) { tmp in
            try await local(cid) { [self] in try Exporter(store: store).get(c, to: URL(fileURLWithPath: tmp)) }
        }
    }

    public func ls(_ cid: String) async throws -> [LsEntry] {
        let c = try self.cid(cid)
        let exporter = Exporter(store: store)
        return try await local(cid) { [self] in
            guard try exporter.type(of: c) == .directory else { return [] }  // Kubo: a file lists no links
            return try exporter.ls(c).map { e in
                let kind: LsEntry.Kind
                switch e.type { case .file: kind = .file; case .directory: kind = .directory; case .symlink: kind = .symlink; case .unknown: kind = .other }
                return LsEntry(name: e.name, cid: e.cid.description, size: e.size, kind: kind)
            }
        }
    }

    public func dagExport(_ cid: String) async throws -> AsyncThrowingStream<Data, any Error> {
        let c = try self.cid(cid)
        let s = store
        _ = try await local(cid) { [self] in try store.get(c) }  // missing root: not found, before any byte
        return boundedStream { emit in
            try CARWriter(store: s).export(root: c) { bytes in try emit(Data(bytes)) }
        }
    }

    public func dagImport(_ car: Data, pinRoots: Bool) async throws -> [String] {
        try await local(nil) { [self] in
            let writing = store.beginWrite()
            defer { writing.end() }
            let result = try importCAR(CARReader(bytes: [UInt8](car)), into: store)
            // Like Kubo, pin the roots whose DAG arrived complete.
            for root in result.roots where pinRoots && (try? DagLinks.requireComplete(root, in: store)) != nil {
                try pinStore.pin(root, recursive: true)
            }
            return result.roots.map(\.description)
        }
    }

    /// Cumulative size of a node (Kubo's `Size` in add and ls output).
    public func cumulativeSize(_ cid: String) async throws -> UInt64 {
        let c = try self.cid(cid)
        return try await local(cid) { [self] in
            let block = try store.get(c)
            guard c.codec == .dagPB else { return UInt64(block.count) }
            return try PBNode(decoding: block).links.reduce(UInt64(block.count)) { $0 + ($1.tsize ?? 0) }
        }
    }
}
