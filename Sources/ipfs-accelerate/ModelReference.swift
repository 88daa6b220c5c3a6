import ArgumentParser
import BlockStore
import Foundation
import Hub
import Multiformats
import UnixFS

/// What `embed` and `generate` accept as `--model`: a folder or file path, a CID (`ipfs://CID` or
/// the bare CID) in the data directory's block store, or a public hub repo id (`org/name[@rev]`).
enum ModelReference {
    static func resolve(_ model: String, dataDir: String?) async throws -> URL {
        let fm = FileManager.default
        let expanded = (model as NSString).expandingTildeInPath
        if fm.fileExists(atPath: expanded) { return URL(fileURLWithPath: expanded) }

        let data = DataDirectory(flag: dataDir)
        let bare = model.hasPrefix("ipfs://") ? String(model.dropFirst("ipfs://".count)) : model
        if let cid = try? CID(bare) {
            return try fetch(cid, from: data)
        }
        if model.hasPrefix("ipfs://") { _ = try CID(bare) }  // a clear CID parse error

        if model.split(separator: "/", omittingEmptySubsequences: false).count == 2 {
            try data.create()
            let database = try await HubSetup.openDatabase(dataDirectory: data.root)
            let folders = HubModelFolders(database: database, blocks: try data.openBlockStore(),
                                          root: data.root.appendingPathComponent("models/.hub"))
            let folder = try await folders.folder(for: model)
            await database.close()
            if let folder { return folder }
            throw ValidationError("no public model repo '\(model)' in the hub at \(data.root.path)")
        }
        throw ValidationError("--model '\(model)' is not a file, a folder, a CID or a hub repo id (org/name)")
    }

    /// Writes the CID's file or folder under `models/ipfs/<cid>/` (once; later calls reuse it).
    /// A single GGUF file is named `model.gguf` there so the loader recognises it.
    private static func fetch(_ cid: CID, from data: DataDirectory) throws -> URL {
        let fm = FileManager.default
        let target = data.root.appendingPathComponent("models/ipfs/\(cid)")
        if fm.fileExists(atPath: target.path) { return target }
        try data.create()
        let store = try data.openBlockStore()
        guard try store.has(cid) else { throw ValidationError("\(cid) is not in the block store at \(data.root.path)") }
        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(cid).\(UUID().uuidString)")
        try fm.createDirectory(at: staging.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }
        let exporter = Exporter(store: store)
        let isFile = (try? exporter.fileSize(cid)) != nil
        let head = isFile ? try exporter.read(cid, offset: 0, length: 4) : []
        if head == Array("GGUF".utf8) {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            try exporter.get(cid, to: staging.appendingPathComponent("model.gguf"))
        } else {
            try exporter.get(cid, to: staging)
        }
        do { try fm.moveItem(at: staging, to: target) } catch where fm.fileExists(atPath: target.path) {}
        return target
    }
}
