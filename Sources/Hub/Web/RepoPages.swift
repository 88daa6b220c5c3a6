import Foundation
import Hummingbird
import HubDatabase
import NIOCore
import Primitives

/// The read-only pages: repo lists, the model card, file lists, file views and history. Every repo
/// goes through `readableRepo`, the same check the API and `resolve` use, so a private repo is a 404
/// to anyone who could not read it through the API either.
extension WebController {
    static let listedTypes: [RepoType] = [.model, .dataset, .space]
    /// Largest file shown inline on a blob page (and largest README rendered as the card).
    static let maxInlineText: Int64 = 512 * 1024

    // MARK: lists

    func homePage(_ request: Request, _ visit: WebVisit) async throws -> WebPage {
        try await listPage(author: nil, request, visit, title: "Repositories", heading: nil, action: "/")
    }

    func namespacePage(_ ns: String, _ request: Request, _ visit: WebVisit) async throws -> WebPage {
        let isUser = try await database.user(named: ns) != nil
        let isOrg = try await database.org(named: ns) != nil
        guard isUser || isOrg else {
            throw HubError(.notFound, code: .entryNotFound, "No user or organisation '\(ns)'")
        }
        return try await listPage(author: ns, request, visit, title: ns, heading: ns, action: "/\(PercentEncoding.encode(ns))")
    }

    func listPage(author: String?, _ request: Request, _ visit: WebVisit, title: String, heading: String?, action: String) async throws -> WebPage {
        let q = request.uri.queryParameters
        let search = q["search"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let sort = q["sort"].map(String.init) ?? "modified"
        var sections: [RepoListPage.Section] = []
        var mine: [RepoRow] = []
        let caller = visit.caller
        for type in Self.listedTypes {
            var repos = try await database.listRepos(type: type, author: author, search: search, limit: 500, offset: 0,
                                                     viewerNamespaces: caller.namespaces, allPrivate: caller.isAdmin)
            switch sort {
            case "name": repos.sort { $0.fullName.lowercased() < $1.fullName.lowercased() }
            case "created": repos.sort { $0.createdAt > $1.createdAt }
            default: break  // the database lists by last modification, newest first
            }
            let rows = repos.map(repoRow)
            // The signed-in user's own and their orgs' private repos, gathered at the top.
            mine += zip(repos, rows).filter { $0.0.isPrivate && caller.namespaces.contains($0.0.namespace) }.map(\.1)
            if type == .space && rows.isEmpty { continue }
            sections.append(.init(label: type == .model ? "Models" : type == .dataset ? "Datasets" : "Spaces",
                                  count: rows.count, repos: rows, type: type.rawValue))
        }
        let sorts = [("modified", "Recently updated"), ("name", "Name"), ("created", "Recently created")].map {
            RepoListPage.Sort(value: $0.0, label: $0.1, selected: $0.0 == sort)
        }
        return .html(title: title, template: "home",
                     data: RepoListPage(sections: sections, mine: mine, hasMine: !mine.isEmpty && author == nil, action: action,
                                        sorts: sorts, search: search, heading: heading))
    }

    func repoRow(_ r: RepoRecord) -> RepoRow {
        RepoRow(fullName: r.fullName, url: Self.repoBase(r.type, r.namespace, r.name), isPrivate: r.isPrivate,
                updated: Self.dateText(r.lastModified))
    }

    static func repoBase(_ type: RepoType, _ ns: String, _ name: String) -> String {
        (type == .model ? "" : "/\(type.plural)") + "/\(PercentEncoding.encode(ns))/\(PercentEncoding.encode(name))"
    }

    // MARK: one repo

    /// The repo, the revision asked for (first segment of the catch-all) and the path after it.
    struct RepoView {
        var repo: RepoRecord
        var revision: String
        var commit: CommitRecord
        var files: [FileRecord]
        var path: String
        var base: String { WebController.repoBase(repo.type, repo.namespace, repo.name) }
        var revURL: String { PercentEncoding.encode(revision) }
        func download(_ path: String) -> String { base + "/resolve/" + revURL + "/" + PercentEncoding.encodePath(path) }
        func blobURL(_ path: String) -> String { base + "/blob/" + revURL + "/" + PercentEncoding.encodePath(path) }
        func treeURL(_ path: String) -> String { base + "/tree/" + revURL + (path.isEmpty ? "" : "/" + PercentEncoding.encodePath(path)) }
    }

    func repoView(_ type: RepoType, _ ctx: HubRequestContext, _ visit: WebVisit, catchAll: Bool) async throws -> RepoView {
        let ns = decoded(ctx.parameters.get("ns") ?? ""), name = decoded(ctx.parameters.get("name") ?? "")
        let repo = try await repos.readable(type, ns, name, caller: visit.caller)
        let rest = catchAll ? ctx.parameters.getCatchAll().map(decoded) : []
        let revision = rest.first.flatMap { $0.isEmpty ? nil : $0 } ?? "main"
        let path = rest.dropFirst().joined(separator: "/")
        let commit = try await repos.commit(repo, revision)
        return RepoView(repo: repo, revision: revision, commit: commit, files: try await database.files(commitID: commit.id), path: path)
    }

    func header(_ v: RepoView, tab: String, _ request: Request) -> RepoHeader {
        RepoHeader(ns: v.repo.namespace, name: v.repo.name, fullName: v.repo.fullName, base: v.base, revURL: v.revURL,
                   revision: v.revision, isPrivate: v.repo.isPrivate, typeLabel: v.repo.type.rawValue.capitalized,
                   isDataset: v.repo.type == .dataset, tabCard: tab == "card", tabFiles: tab == "files", tabCommits: tab == "commits",
                   origin: origin(request), commit: v.commit.id, shortCommit: String(v.commit.id.prefix(7)))
    }

    func repoCardPage(_ type: RepoType, _ ctx: HubRequestContext, _ request: Request, _ visit: WebVisit) async throws -> WebPage {
        let v = try await repoView(type, ctx, visit, catchAll: false)
        var data = CardPage(repo: header(v, tab: "card", request), fileCount: v.files.count,
                            totalSize: Self.sizeText(v.files.reduce(0) { $0 + $1.size }))
        if let readme = v.files.first(where: { $0.path.lowercased() == "readme.md" }), readme.size <= Self.maxInlineText,
           let text = try await fileText(readme) {
            let card = ModelCard(markdown: text, pageBase: v.base + "/blob/" + v.revURL + "/", fileBase: v.base + "/resolve/" + v.revURL + "/")
            data.tags = card.tags
            data.hasTags = !card.tags.isEmpty
            data.cardHTML = card.html
            data.hasCard = !card.html.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        return .html(title: v.repo.fullName, template: "card", data: data)
    }

    func crumbs(_ v: RepoView, _ path: String) -> [Crumb] {
        var out: [Crumb] = []
        var so = ""
        for part in path.split(separator: "/") {
            so += (so.isEmpty ? "" : "/") + part
            out.append(Crumb(label: String(part), url: v.treeURL(so)))
        }
        return out
    }

    func treePage(_ type: RepoType, _ ctx: HubRequestContext, _ request: Request, _ visit: WebVisit) async throws -> WebPage {
        let v = try await repoView(type, ctx, visit, catchAll: true)
        let path = v.path.hasSuffix("/") ? String(v.path.dropLast()) : v.path
        if !path.isEmpty, v.files.contains(where: { $0.path == path }) { return .redirect(v.blobURL(path)) }
        let prefix = path.isEmpty ? "" : path + "/"
        let under = v.files.filter { $0.path.hasPrefix(prefix) }
        if !path.isEmpty && under.isEmpty { throw HubError.entryNotFound(path, commit: v.commit.id) }
        var dirs: [String] = [], seen = Set<String>()
        var files: [FileRecord] = []
        for f in under {
            let rel = f.path.dropFirst(prefix.count)
            if let slash = rel.firstIndex(of: "/") {
                let d = String(rel[..<slash])
                if seen.insert(d).inserted { dirs.append(d) }
            } else { files.append(f) }
        }
        var entries = dirs.sorted().map { TreePage.Entry(isDir: true, label: $0, url: v.treeURL(prefix + $0)) }
        entries += files.sorted { $0.path < $1.path }.map { f in
            TreePage.Entry(isDir: false, label: String(f.path.dropFirst(prefix.count)), url: v.blobURL(f.path), size: Self.sizeText(f.size),
                           isLFS: f.isLFS, cid: f.cid, download: v.download(f.path))
        }
        return .html(title: "\(v.repo.fullName) · files", template: "tree",
                     data: TreePage(repo: header(v, tab: "files", request), entries: entries, crumbs: crumbs(v, path)))
    }

    func blobPage(_ type: RepoType, _ ctx: HubRequestContext, _ request: Request, _ visit: WebVisit) async throws -> WebPage {
        let v = try await repoView(type, ctx, visit, catchAll: true)
        guard let file = v.files.first(where: { $0.path == v.path }) else {
            if v.files.contains(where: { $0.path.hasPrefix(v.path + "/") }) { return .redirect(v.treeURL(v.path)) }
            throw HubError.entryNotFound(v.path, commit: v.commit.id)
        }
        var data = BlobPage(repo: header(v, tab: "files", request), crumbs: crumbs(v, v.path), size: Self.sizeText(file.size),
                            isLFS: file.isLFS, cid: file.cid, download: v.download(file.path))
        if file.size > Self.maxInlineText {
            data.whyNoText = "This file is \(Self.sizeText(file.size)), too large to show here."
        } else if let text = try await fileText(file) {
            data.text = text
            data.hasText = true
        } else {
            data.whyNoText = "This is a binary file."
        }
        return .html(title: "\(v.repo.fullName) · \(v.path)", template: "blob", data: data)
    }

    func commitsPage(_ type: RepoType, _ ctx: HubRequestContext, _ request: Request, _ visit: WebVisit) async throws -> WebPage {
        let v = try await repoView(type, ctx, visit, catchAll: true)
        let history = try await database.history(fromCommit: v.commit.id, limit: 200)
        let items = history.map { c in
            CommitsPage.Item(short: String(c.id.prefix(7)), title: c.title, author: c.author, date: Self.dateText(c.createdAt),
                             url: v.base + "/tree/" + c.id)
        }
        return .html(title: "\(v.repo.fullName) · commits", template: "commits",
                     data: CommitsPage(repo: header(v, tab: "commits", request), items: items))
    }

    /// The file's content as text, or nil when it is not UTF-8 or contains NUL (binary). Bytes are
    /// verified against the CID as they are read, like every download.
    func fileText(_ file: FileRecord) async throws -> String? {
        guard file.size <= Self.maxInlineText else { return nil }
        if file.size == 0 { return "" }
        try await placement.ensureLocal(file.cid)
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(file.size))
        try await content.forEachVerifiedBuffer(cid: file.cid, fileSize: file.size, offset: 0, length: file.size) { buffer in
            bytes += buffer.readableBytesView
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return text
    }
}
