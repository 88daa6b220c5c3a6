import BlockStore
import Foundation
import HubDatabase
import Multiformats
import UnixFS

/// Turns a hub model repo (`org/name`, optionally `org/name@revision`) into a folder of its files,
/// so the model server can load models by hub repo id. Files are written from the block store
/// (every block verified) into `<root>/<commit id>/`, built in a temporary folder and renamed into
/// place, so a folder that exists is always complete. Only public repos are served this way: the
/// model server has its own API keys and must not expose a private repo's weights.
public struct HubModelFolders: Sendable {
    public let database: HubDatabase
    public let blocks: any BlockStoring
    public let root: URL

    public init(database: HubDatabase, blocks: any BlockStoring, root: URL) {
        self.database = database
        self.blocks = blocks
        self.root = root
    }

    /// The folder for `repoID`, or nil when the hub has no such public model repo.
    public func folder(for repoID: String) async throws -> URL? {
        var spec = repoID
        var revision = "main"
        if let at = spec.firstIndex(of: "@") {
            revision = String(spec[spec.index(after: at)...])
            spec = String(spec[..<at])
        }
        let parts = spec.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        guard let repo = try await database.repo(type: .model, namespace: String(parts[0]), name: String(parts[1])),
              !repo.isPrivate,
              let commit = try await database.resolve(repoID: repo.id, revision: revision) else { return nil }
        let target = root.appendingPathComponent(commit.id, isDirectory: true)
        if FileManager.default.fileExists(atPath: target.path) { return target }

        let files = try await database.files(commitID: commit.id)
        let staging = root.appendingPathComponent(".tmp-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }
        let exporter = Exporter(store: blocks)
        for file in files {
            // Paths were validated on commit; check again so a bad row can never write outside.
            let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !components.isEmpty, !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw HubModelFolderError.unsafePath(file.path)
            }
            let destination = staging.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try exporter.get(try CID(file.cid), to: destination)
        }
        do {
            try FileManager.default.moveItem(at: staging, to: target)
        } catch where FileManager.default.fileExists(atPath: target.path) {
            // Another request materialised the same commit first: theirs is complete too.
        }
        return target
    }

    /// Public model repos whose files look loadable: a `config.json` or a `.gguf` file at the top.
    public func candidateRepos(limit: Int = 500) async throws -> [String] {
        let repos = try await database.listRepos(type: .model, author: nil, search: nil, limit: limit, offset: 0,
                                                 viewerNamespaces: [], allPrivate: false)
        var out: [String] = []
        for repo in repos where !repo.isPrivate {
            guard let head = try await database.resolve(repoID: repo.id, revision: "main") else { continue }
            let files = try await database.files(commitID: head.id)
            if files.contains(where: { $0.path == "config.json" || ($0.path.hasSuffix(".gguf") && !$0.path.contains("/")) }) {
                out.append("\(repo.namespace)/\(repo.name)")
            }
        }
        return out
    }
}

public enum HubModelFolderError: Error, CustomStringConvertible {
    case unsafePath(String)
    /// A model pulled through the fallback could not be fetched whole.
    case fallback(String)
    public var description: String {
        switch self {
        case .unsafePath(let path): return "hub file path '\(path)' is not a safe relative path"
        case .fallback(let why): return "pulling the model through the hub's fallback failed: \(why)"
        }
    }
}
