import Crypto
import Foundation
import Primitives

/// Lays a model folder out the way huggingface_hub keeps its cache, so `transformers` and
/// `huggingface_hub` with `HF_HUB_OFFLINE=1` find it:
/// `$HF_HOME/hub/models--{org}--{name}/{blobs/<etag>, snapshots/<revision>/<path> -> blob, refs/<ref>}`.
/// Blobs are named as the Hub's etags: sha256 for large (LFS) files, the git blob sha1 otherwise.
public struct HFCachePlacement: Sendable {
    public let hfHome: String

    public init(hfHome: String) { self.hfHome = hfHome }

    /// `models--org--name` under `hub/`.
    public func repoFolder(modelID: String) throws -> String {
        try ModelID.validate(modelID)
        let name = "models--" + modelID.replacingOccurrences(of: "/", with: "--")
        return ((hfHome as NSString).appendingPathComponent("hub") as NSString).appendingPathComponent(name)
    }

    /// A 40-hex revision derived from the content's CID, so the same content always lands in the
    /// same snapshot.
    public static func revision(forCID cid: String) -> String {
        Hex.encode(Insecure.SHA1.hash(data: Data(cid.utf8)))
    }

    /// Copies every file of `folder` into the cache as `modelID` at `revision`, points `refs/{ref}`
    /// at it, and returns the snapshot folder.
    @discardableResult
    public func place(folder: String, modelID: String, revision: String, ref: String = "main") throws -> String {
        guard Hex.isLowercase(revision, count: 40) else {
            throw ModelStoreError.invalidModelID("revision \(revision) (need 40 lowercase hex digits)")
        }
        let fm = FileManager.default
        let repo = try repoFolder(modelID: modelID)
        let blobs = (repo as NSString).appendingPathComponent("blobs")
        let snapshot = ((repo as NSString).appendingPathComponent("snapshots") as NSString).appendingPathComponent(revision)
        let refs = (repo as NSString).appendingPathComponent("refs")
        for d in [blobs, snapshot, refs] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }

        guard let walker = fm.enumerator(atPath: folder) else { throw ModelStoreError.noSuchPath(folder) }
        var files: [String] = []
        while let rel = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: (folder as NSString).appendingPathComponent(rel), isDirectory: &isDir)
            if !isDir.boolValue { files.append(rel) }
        }
        for rel in files.sorted() {
            let src = (folder as NSString).appendingPathComponent(rel)
            let etag = try Self.etag(src)
            let blob = (blobs as NSString).appendingPathComponent(etag)
            if !fm.fileExists(atPath: blob) {
                let tmp = blob + ".incomplete-\(UUID().uuidString.prefix(8))"
                try fm.copyItem(atPath: src, toPath: tmp)
                try fm.moveItem(atPath: tmp, toPath: blob)
            }
            let link = (snapshot as NSString).appendingPathComponent(rel)
            try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Relative like huggingface_hub's: ../../blobs/<etag> plus one ../ per nested folder.
            let depth = rel.split(separator: "/").count - 1
            let target = String(repeating: "../", count: depth + 2) + "blobs/" + etag
            if (try? fm.destinationOfSymbolicLink(atPath: link)) != nil || fm.fileExists(atPath: link) { try fm.removeItem(atPath: link) }
            try fm.createSymbolicLink(atPath: link, withDestinationPath: target)
        }
        let refFile = (refs as NSString).appendingPathComponent(ref)
        let tmpRef = refFile + ".tmp-\(UUID().uuidString.prefix(8))"
        try Data(revision.utf8).write(to: URL(fileURLWithPath: tmpRef))
        if fm.fileExists(atPath: refFile) { try fm.removeItem(atPath: refFile) }
        try fm.moveItem(atPath: tmpRef, toPath: refFile)
        return snapshot
    }

    static let lfsExtensions: Set<String> = ["safetensors", "bin", "pt", "pth", "ckpt", "h5", "onnx", "msgpack", "gguf", "model", "npz", "tflite", "ot", "pb", "zip", "gz", "tar"]

    /// The Hub's etag for a file: sha256 for LFS files (by extension or over 10 MiB), else the git blob sha1.
    static func etag(_ path: String) throws -> String {
        let size = ((try FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.uint64Value ?? 0
        if size > 10 << 20 || lfsExtensions.contains((path as NSString).pathExtension.lowercased()) {
            return try ModelStore.fileDigest(path).1
        }
        guard let fh = FileHandle(forReadingAtPath: path) else { throw ModelStoreError.noSuchPath(path) }
        defer { try? fh.close() }
        var git = GitObjectHasher.blob(size: Int(size))
        while let chunk = try fh.read(upToCount: 1 << 20), !chunk.isEmpty { git.update(chunk) }
        return git.finalizeHex()
    }
}
