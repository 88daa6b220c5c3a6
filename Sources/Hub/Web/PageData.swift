/// The data a page template renders: a struct whose property names are the template's keys
/// (Mustache reads them by reflection), one type per template. A nil property reads as absent.
protocol PageData: Sendable {}

/// What a page template is rendered with: its own data as `page`, around it what every page may
/// use (the CSRF token for its forms, the visitor). Page templates are registered inside a
/// `{{#page}}` section (WebTemplates.library), so a key not in the page's data is looked up here.
struct PageFrame: Sendable {
    var csrf: String
    var user: Visitor?
    var page: any PageData
}

/// The signed-in visitor as the layout and pages show them.
struct Visitor: Sendable {
    var name: String
    var isAdmin: Bool
}

/// The layout around every page's rendered body.
struct LayoutData: Sendable {
    var title: String
    var body: String
    var csrf: String
    var user: Visitor?
    /// The search box keeps the query it was sent.
    var search: String?
}

struct ErrorPage: PageData {
    var status: String
    var message: String
    var signIn: Bool
    var next: String
}

// MARK: lists and repos (RepoPages.swift)

struct RepoRow: Sendable {
    var fullName: String
    var url: String
    var isPrivate: Bool
    var updated: String
}

struct RepoListPage: PageData {
    struct Section: Sendable { var label: String; var count: Int; var repos: [RepoRow]; var type: String }
    struct Sort: Sendable { var value: String; var label: String; var selected: Bool }
    var sections: [Section]
    var mine: [RepoRow]
    var hasMine: Bool
    var action: String
    var sorts: [Sort]
    var search: String?
    var heading: String?
}

/// The repo header (`repoHeader` partial) and the links every repo page builds from it. Repo
/// templates render inside `{{#repo}}`, so these keys are visible to the whole page.
struct RepoHeader: Sendable {
    var ns, name, fullName, base, revURL, revision: String
    var isPrivate: Bool
    var typeLabel: String
    var isDataset: Bool
    var tabCard, tabFiles, tabCommits: Bool
    var origin: String
    var commit: String
    var shortCommit: String
}

struct Crumb: Sendable { var label: String; var url: String }

struct CardPage: PageData {
    var repo: RepoHeader
    var tags: [String] = []
    var hasTags = false
    var cardHTML: String?
    var hasCard = false
    var fileCount: Int
    var totalSize: String
}

struct TreePage: PageData {
    struct Entry: Sendable {
        var isDir: Bool
        var label: String
        var url: String
        var size: String?
        var isLFS = false
        var cid: String?
        var download: String?
    }
    var repo: RepoHeader
    var entries: [Entry]
    var crumbs: [Crumb]
}

struct BlobPage: PageData {
    var repo: RepoHeader
    var crumbs: [Crumb]
    var size: String
    var isLFS: Bool
    var cid: String
    var download: String
    var whyNoText: String?
    var text: String?
    var hasText = false
}

struct CommitsPage: PageData {
    struct Item: Sendable { var short, title, author, date, url: String }
    var repo: RepoHeader
    var items: [Item]
}

// MARK: account (AccountPages.swift)

struct LoginPage: PageData {
    var next: String
    var error: String?
}

struct SettingsPage: PageData {
    struct Token: Sendable { var id, displayName, role, created: String; var current: Bool }
    var userName: String
    var canWrite: Bool
    var tokens: [Token]
    var newToken: String?
    var error: String?
}

// MARK: admin portal (AdminPages.swift, ModelServerPanel.swift); `notice` and `error` are adminNav's

struct AdminOverviewPage: PageData {
    struct Status: Sendable {
        struct Model: Sendable { var id, type, memory: String }
        struct Figure: Sendable { var key, value: String }
        var state, version, uptime, memory, resident: String
        var available: Int
        var models: [Model]
        var queue: [Figure]
    }
    var status: Status?
    var statusError: String?
    var notice: String?
    var error: String?
}

struct SourcesPage: PageData {
    struct Source: Sendable {
        var id, name, url, type: String
        var priority: Int
        var namespace: String
        var hasToken: Bool
        var origin: String
        var enabled: Bool
        var editable: Bool
    }
    struct Stats: Sendable { var size, maxsize, ttl, hits, misses: String }
    struct Edit: Sendable {
        var id, name, url, priority, namespace: String
        var isHF, isHub, hasToken, enabled: Bool
    }
    struct Test: Sendable { var name, result: String }
    var enabled: Bool
    var sources: [Source] = []
    var stats: Stats?
    var edit: Edit?
    var test: Test?
    var notice: String?
    var error: String?
}

struct UsersPage: PageData {
    struct User: Sendable {
        var name: String
        var isAdmin: Bool
        var created: String
        var tokenCount: Int
        var orgs: String
    }
    struct Org: Sendable {
        struct Member: Sendable { var org, user, role: String }
        var name, fullname: String
        var members: [Member]
    }
    struct NewToken: Sendable { var user, token: String }
    var users: [User]
    var orgs: [Org]
    var newToken: NewToken?
    var notice: String?
    var error: String?
}

struct KeysPage: PageData {
    struct Key: Sendable { var id, name, details: String }
    var available: Bool
    var why: String?
    var keys: [Key] = []
    var newKey: String?
    var notice: String?
    var error: String?
}
