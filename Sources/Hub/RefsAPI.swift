import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase

/// Branches, refs, commit history, discussions and pull requests.
extension RepoAPIController {
    /// `POST|DELETE /api/{t}/{ns}/{name}/branch/{branch}`.
    func branch(_ type: RepoType, _ ns: String, _ name: String, branch: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.writable(type, ns, name, caller: caller)
        guard !branch.isEmpty, !branch.hasPrefix("refs/"), !branch.contains(".."), branch.count <= 200,
              !branch.contains(where: { $0 == " " || $0 == "~" || $0 == "^" || $0 == ":" || $0 == "\\" || $0 == "\0" }),
              !(branch.count == 40 && branch.allSatisfy(\.isHexDigit)) else {
            throw HubError.badRequest("Invalid branch name '\(branch)'")
        }
        if request.method == .delete {
            guard branch != "main" else { throw HubError.forbidden("The 'main' branch cannot be deleted") }
            do { try await database.deleteRef(repoID: repo.id, name: branch) } catch {
                throw HubError.revisionNotFound(branch)
            }
            return json(EmptyJSONObject())
        }
        let start = try await HubRequestBody.decode(CreateBranchRequest.self, request).startingPoint ?? "main"
        let commit = try await repos.commit(repo, start)
        do {
            try await database.createRef(repoID: repo.id, name: branch, commitID: commit.id)
        } catch HubDatabaseError.alreadyExists {
            throw HubError(.conflict, code: .conflict, "Reference already exists: \(branch)")
        }
        return json(EmptyJSONObject())
    }

    func listRefs(_ type: RepoType, _ ns: String, _ name: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.readable(type, ns, name, caller: caller)
        let refs = try await database.refs(repoID: repo.id)
        let withPRs = request.uri.queryParameters["include_prs"].map(isTrue) ?? false
        let branches = refs.filter { !$0.name.hasPrefix("refs/") }
            .map { GitRefJSON(name: $0.name, ref: "refs/heads/\($0.name)", targetCommit: $0.commitID) }
        var answer = GitRefsJSON(branches: branches)
        if withPRs {
            answer.pullRequests = refs.filter { $0.name.hasPrefix("refs/pr/") }
                .map { GitRefJSON(name: String($0.name.dropFirst("refs/pr/".count)), ref: $0.name, targetCommit: $0.commitID) }
        }
        return json(answer)
    }

    func listCommits(_ type: RepoType, _ ns: String, _ name: String, revision: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.readable(type, ns, name, caller: caller)
        let head = try await repos.commit(repo, revision)
        let history = try await database.history(fromCommit: head.id, limit: 10_000)
        return json(history.map { c in
            CommitInfoJSON(id: c.id, title: c.title, message: c.message, date: HubServer.iso8601(c.createdAt),
                           authors: c.author.isEmpty ? [] : [CommitAuthorJSON(user: c.author)])
        })
    }

    // MARK: discussions and pull requests

    func discussionJSON(_ d: DiscussionRecord, repo: RepoRecord, request: Request, details: Bool) async throws -> DiscussionJSON {
        var out = DiscussionJSON(num: d.num, title: d.title, status: d.status, createdAt: HubServer.iso8601(d.createdAt),
                                 isPullRequest: d.isPullRequest, author: DiscussionAuthorJSON(name: d.author),
                                 repo: DiscussionRepoJSON(name: repo.fullName, type: repo.type.rawValue))
        if details {
            var changes = DiscussionChangesJSON()
            if d.status == "merged", let main = try await database.resolve(repoID: repo.id, revision: "main") { changes.mergeCommitId = main.id }
            out.changes = changes
            out.filesWithConflicts = []
            out.events = [DiscussionEventJSON(id: "\(repo.id)-\(d.num)-0", createdAt: HubServer.iso8601(d.createdAt),
                                              author: d.author, text: d.description)]
            out.diff = ""
            out.conflictingFiles = []
        }
        return out
    }

    func discussions(_ type: RepoType, _ ns: String, _ name: String, _ rest: [String], _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.readable(type, ns, name, caller: caller)
        if rest.isEmpty {
            if request.method == .post {
                guard let user = caller.name else { throw HubError(.unauthorized, code: .unauthorized, "Opening a discussion needs a token") }
                let body = try await HubRequestBody.decode(NewDiscussionRequest.self, request)
                let title = (body.title ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard !title.isEmpty else { throw HubError.badRequest("A discussion needs a 'title'") }
                let isPR = body.pullRequest ?? false
                if isPR { _ = try await repos.writable(type, ns, name, caller: caller) }
                let d = try await database.createDiscussion(repoID: repo.id, title: title, description: body.description ?? "",
                                                            author: user, isPullRequest: isPR)
                var answer = try await discussionJSON(d, repo: repo, request: request, details: false)
                answer.url = origin.repoURL(request, type, ns, name) + "/discussions/\(d.num)"
                return json(answer)
            }
            var items: [DiscussionJSON] = []
            for d in try await database.discussions(repoID: repo.id) {
                items.append(try await discussionJSON(d, repo: repo, request: request, details: false))
            }
            return json(DiscussionListJSON(discussions: items, count: items.count,
                                           numClosedDiscussions: items.filter { $0.status != "open" }.count))
        }
        guard let num = Int64(rest[0]), let d = try await database.discussion(repoID: repo.id, num: num) else {
            throw HubError(.notFound, code: .entryNotFound, "Discussion \(rest[0]) not found")
        }
        switch (request.method, rest.dropFirst().first ?? "") {
        case (.get, ""):
            return json(try await discussionJSON(d, repo: repo, request: request, details: true))
        case (.post, "status"):
            _ = try await repos.writable(type, ns, name, caller: caller)
            let status = try await HubRequestBody.decode(DiscussionStatusRequest.self, request).status ?? ""
            guard status == "open" || status == "closed" else { throw HubError.badRequest("status must be 'open' or 'closed'") }
            try await database.setDiscussionStatus(repoID: repo.id, num: num, status: status)
            return json(DiscussionStatusJSON(status))
        case (.post, "comment"):
            guard caller.name != nil else { throw HubError(.unauthorized, code: .unauthorized, "Commenting needs a token") }
            let text = try await HubRequestBody.decode(DiscussionCommentRequest.self, request).comment ?? ""
            return json(DiscussionCommentJSON(newMessage: DiscussionEventJSON(
                id: UUID().uuidString, createdAt: HubServer.iso8601(Int64(Date().timeIntervalSince1970)), author: caller.name ?? "", text: text)))
        case (.post, "merge"):
            return try await mergePullRequest(d, repo: repo, request, caller)
        default:
            throw HubError(.notFound, code: .entryNotFound, "No such discussion API")
        }
    }

    /// Applies what the pull request changed (base → PR head) on top of `main`.
    func mergePullRequest(_ d: DiscussionRecord, repo: RepoRecord, _ request: Request, _ caller: Caller) async throws -> Response {
        _ = try await repos.writable(repo.type, repo.namespace, repo.name, caller: caller)
        guard d.isPullRequest, d.status == "open" || d.status == "draft" else { throw HubError.badRequest("Only open pull requests can be merged") }
        guard let head = try await database.resolve(repoID: repo.id, revision: "refs/pr/\(d.num)") else { throw HubError.revisionNotFound("refs/pr/\(d.num)") }
        let base = Dictionary(try await database.files(commitID: d.baseCommitID).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let pr = Dictionary(try await database.files(commitID: head.id).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var changes: [FileChange] = []
        for (path, f) in pr where base[path] != f { changes.append(.put(f)) }
        for path in base.keys where pr[path] == nil { changes.append(.delete(path: path)) }
        let title = "Merge pull request #\(d.num): \(d.title)"
        let commit = CommitRecord(id: HubServer.newCommitID(repoID: repo.id, parent: head.id, title: title), repoID: repo.id, parentID: nil,
                                  title: title, message: d.description, author: caller.name ?? "", createdAt: Int64(Date().timeIntervalSince1970))
        do {
            try await database.applyCommit(repoID: repo.id, ref: "main", expectedHead: nil, commit: commit, changes: changes)
        } catch HubDatabaseError.notFound(let what) {
            throw HubError(.conflict, code: .conflict, "Cannot merge: \(what) no longer exists on main")
        }
        try await database.setDiscussionStatus(repoID: repo.id, num: d.num, status: "merged")
        return json(DiscussionStatusJSON("merged"))
    }
}
