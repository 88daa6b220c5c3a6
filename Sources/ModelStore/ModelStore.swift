import Crypto
import Foundation
import IPFSRouter
import Primitives

/// Model folders stored and retrieved by CID through the router (seeds 000-002): a whole folder is
/// one UnixFS directory; a manifest (per-file CIDs, sizes, sha256) is itself stored by CID.
public struct ModelStore: Sendable {
    public let router: BackendRouter
    /// A backend to insist on first (nil: the router's selection).
    public let backend: String?

    public init(router: BackendRouter, backend: String? = nil) {
        self.router = router
        self.backend = backend
    }

    /// Stores the folder (config, weights, tokenizer, nested folders, dot-files too) as one
    /// UnixFS directory and pins it. Returns the directory's CID.
    public func storeModel(modelPath: String, modelID: String) async throws -> Routed<String> {
        try ModelID.validate(modelID)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDir) else {
            throw ModelStoreError.noSuchPath(modelPath)
        }
        guard isDir.boolValue else { throw ModelStoreError.notAFolder(modelPath) }
        return try await router.addPath(modelPath, recursive: true, pin: true,
                                        options: AddOptions(includeHidden: true), backend: backend)
    }

    /// Writes the model stored under `cid` to `outputPath`, byte for byte. With `verify`, every
    /// file is checked against the manifest's sha256.
    public func retrieveModel(cid: String, outputPath: String, modelID: String? = nil) async throws -> Routed<Void> {
        if let modelID { try ModelID.validate(modelID) }
        return try await router.getToPath(cid, outputPath: outputPath, backend: backend)
    }

    /// Stores the folder, then a manifest describing it (per-file CIDs, sizes, sha256 and the
    /// caller's metadata), which is itself stored and pinned. Returns both CIDs.
    public func addModelWithStorage(metadata: [String: String], modelPath: String, modelID: String) async throws -> StoredModel {
        let root = try await storeModel(modelPath: modelPath, modelID: modelID)
        var files: [ModelManifest.File] = []
        do {
            try await collect(cid: root.value, prefix: "", localRoot: modelPath, into: &files)
        } catch let e as RouterError {
            // No backend can list the stored folder (a bare Kubo CLI, say): a file's CID does not
            // depend on where it is stored, so hash each file the same way without storing it.
            guard case .allBackendsFailed = e else { throw e }
            files = try await hashEach(modelPath)
        }
        let manifest = ModelManifest(modelID: modelID, rootCID: root.value, files: files.sorted { $0.path < $1.path },
                                     metadata: metadata, createdAt: ISO8601DateFormatter().string(from: Date()))
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifestCID = try await router.addBytes(try enc.encode(manifest), pin: true, backend: backend)
        return StoredModel(rootCID: root.value, manifestCID: manifestCID.value, manifest: manifest,
                           receipts: [root.receipt, manifestCID.receipt])
    }

    /// Reads a manifest back by its CID.
    public func manifest(cid: String) async throws -> ModelManifest {
        let data = try await router.cat(cid, backend: backend).value
        do { return try JSONDecoder().decode(ModelManifest.self, from: data) } catch {
            throw ModelStoreError.notAManifest(cid)
        }
    }

    /// Checks every file under `path` against the manifest: sizes and sha256.
    public static func verify(path: String, against manifest: ModelManifest) throws {
        for f in manifest.files {
            let full = (path as NSString).appendingPathComponent(f.path)
            let (size, sha) = try fileDigest(full)
            guard size == f.size, sha == f.sha256 else {
                throw ModelStoreError.mismatch(path: f.path, expected: f.sha256, got: sha)
            }
        }
    }

    private func hashEach(_ root: String) async throws -> [ModelManifest.File] {
        var out: [ModelManifest.File] = []
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { throw ModelStoreError.noSuchPath(root) }
        var rels: [String] = []
        while let rel = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: (root as NSString).appendingPathComponent(rel), isDirectory: &isDir)
            if !isDir.boolValue { rels.append(rel) }
        }
        for rel in rels.sorted() {
            let full = (root as NSString).appendingPathComponent(rel)
            let cid = try await router.addPath(full, recursive: false, pin: false, options: AddOptions(onlyHash: true), backend: backend)
            let (size, sha) = try await Self.fileDigestOffPool(full)
            out.append(.init(path: rel, cid: cid.value, size: size, sha256: sha))
        }
        return out
    }

    private func collect(cid: String, prefix: String, localRoot: String, into files: inout [ModelManifest.File]) async throws {
        for e in try await router.ls(cid, backend: backend).value {
            let rel = prefix.isEmpty ? e.name : prefix + "/" + e.name
            if e.kind == .directory {
                try await collect(cid: e.cid, prefix: rel, localRoot: localRoot, into: &files)
            } else {
                let (size, sha) = try await Self.fileDigestOffPool((localRoot as NSString).appendingPathComponent(rel))
                files.append(.init(path: rel, cid: e.cid, size: size, sha256: sha))
            }
        }
    }

    /// `fileDigest` on a dispatch thread, so hashing a large weights file never blocks the
    /// cooperative threads.
    public static func fileDigestOffPool(_ path: String) async throws -> (UInt64, String) {
        try await runBlocking { try fileDigest(path) }
    }

    /// Size and sha256 of a file, read in 1 MiB chunks.
    public static func fileDigest(_ path: String) throws -> (UInt64, String) {
        guard let fh = FileHandle(forReadingAtPath: path) else { throw ModelStoreError.noSuchPath(path) }
        defer { try? fh.close() }
        var hasher = SHA256()
        var size: UInt64 = 0
        while let chunk = try fh.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += UInt64(chunk.count)
        }
        return (size, Hex.encode(hasher.finalize()))
    }
}

public struct StoredModel: Sendable {
    public var rootCID: String
    public var manifestCID: String
    public var manifest: ModelManifest
    public var receipts: [Receipt]
}

/// The manifest stored beside a model: enough to check a retrieved copy and to fetch single files.
public struct ModelManifest: Sendable, Codable, Equatable {
    public struct File: Sendable, Codable, Equatable {
        public var path: String
        public var cid: String
        public var size: UInt64
        public var sha256: String
    }
    public var modelID: String
    public var rootCID: String
    public var files: [File]
    public var metadata: [String: String]
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case modelID = "model_id", rootCID = "root_cid", files, metadata, createdAt = "created_at"
    }
}

public enum ModelStoreError: Error, Sendable, CustomStringConvertible, LocalizedError {
    case noSuchPath(String)
    case notAFolder(String)
    case invalidModelID(String)
    case notAManifest(String)
    case mismatch(path: String, expected: String, got: String)
    case notInManifest(String)

    public var description: String {
        switch self {
        case .noSuchPath(let p): return "no such file or folder: \(p)"
        case .notAFolder(let p): return "\(p) is not a folder: a model is stored as a whole folder"
        case .invalidModelID(let id): return "'\(id)' is not a model id: use NAME or ORG/NAME (letters, digits, '-', '_', '.')"
        case .notAManifest(let cid): return "\(cid) is not a model manifest"
        case .mismatch(let p, let e, let g): return "\(p) does not match its manifest (sha256 \(g), expected \(e))"
        case .notInManifest(let p): return "\(p) is not in the manifest"
        }
    }
    public var errorDescription: String? { description }
}

/// Hugging Face model ids: `name` or `org/name`.
public enum ModelID {
    public static func validate(_ id: String) throws {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy(SegmentName.isValid) else { throw ModelStoreError.invalidModelID(id) }
    }

    /// (org, name); org is nil for a bare name.
    public static func split(_ id: String) -> (String?, String) {
        let parts = id.split(separator: "/").map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : (nil, parts[0])
    }
}
