import BlockStore
import Foundation
import HubDatabase
import Multiformats
import Primitives
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
        guard let (namespace, name, revision) = Self.parse(repoID),
              let repo = try await database.repo(type: .model, namespace: namespace, name: name),
              !repo.isPrivate,
              let commit = try await database.resolve(repoID: repo.id, revision: revision) else { return nil }
        let target = root.appendingPathComponent(commit.id, isDirectory: true)
        if FileManager.default.fileExists(atPath: target.path) { return target }

        let files = try await database.files(commitID: commit.id)
        let exporter = Exporter(store: blocks)
        return try await materialize(target) { staging in
            for file in files {
                // Paths were validated on commit; check again so a bad row can never write outside.
                let destination = try Self.destination(of: file.path, in: staging)
                try exporter.get(try CID(file.cid), to: destination)
            }
        }
    }

    /// `org/name` or `org/name@revision` (default `main`), or nil when it is not a repo id.
    static func parse(_ repoID: String) -> (namespace: String, name: String, revision: String)? {
        var spec = Substring(repoID), revision = "main"
        if let at = spec.firstIndex(of: "@") {
            revision = String(spec[spec.index(after: at)...])
            spec = spec[..<at]
        }
        let parts = spec.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }), !revision.isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]), revision)
    }

    /// Where a repo file goes inside `folder`, its parent folders made; a path that could leave
    /// the folder (absolute, `..`, `.`, empty segments, NUL) is refused.
    static func destination(of path: String, in folder: URL) throws -> URL {
        try checkRelative(path)
        let destination = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        return destination
    }

    static func checkRelative(_ path: String) throws {
        do { _ = try RelativePath.segments(path) } catch { throw HubModelFolderError.unsafePath(path) }
    }

    /// Builds `target` in a temporary folder beside it and renames it into place, so a folder
    /// that exists is always complete; a concurrent builder that got there first wins.
    func materialize(_ target: URL, fill: (URL) async throws -> Void) async throws -> URL {
        let staging = root.appendingPathComponent(".tmp-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }
        try await fill(staging)
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
