import Mustache

/// The page templates. Kept as Swift strings so the binary carries them (no resource bundle to
/// install next to it). `{{x}}` is HTML-escaped by Mustache; `{{{x}}}` is used only for HTML this
/// code produced itself (the sanitised model card and the page body inside the layout).
enum WebTemplates {
    /// Page templates are rendered with a `PageFrame`: each is registered inside `{{#page}}`, so its
    /// keys are its own data's first and the frame's (`csrf`, `user`) after. The layout and the
    /// partials are registered as they are.
    static let library: MustacheLibrary = {
        var lib = MustacheLibrary()
        for (name, text) in all {
            let framed = frameless.contains(name) ? text : "{{#page}}" + text + "{{/page}}"
            do { try lib.register(framed, named: name) } catch { fatalError("web template \(name): \(error)") }
        }
        return lib
    }()

    static let frameless: Set<String> = ["layout", "repoHeader", "repoRow", "adminNav"]

    static let all: [String: String] = [
        "layout": layout, "home": home, "repoHeader": repoHeader, "repoRow": repoRow, "card": card, "tree": tree,
        "blob": blob, "commits": commits, "login": login, "settings": settings, "error": error,
        "adminNav": adminNav, "admin": admin, "adminSources": adminSources, "adminUsers": adminUsers, "adminKeys": adminKeys,
    ]

    static let csrfField = #"<input type="hidden" name="csrf" value="{{csrf}}">"#

    static let layout = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · IPFS Accelerate Hub</title><link rel="stylesheet" href="/-/static/hub.css"></head>
    <body><header class="top"><a class="brand" href="/">IPFS Accelerate Hub</a>
    <form class="search" action="/" method="get"><input type="search" name="search" placeholder="Search models and datasets" value="{{search}}"></form>
    <nav>{{#user}}<a href="/{{name}}">{{name}}</a> <a href="/-/settings">Settings</a>{{#isAdmin}} <a href="/-/admin">Admin</a>{{/isAdmin}}
    <form class="inline" action="/-/logout" method="post">\#(csrfField)<button class="link">Sign out</button></form>{{/user}}
    {{^user}}<a href="/-/login">Sign in</a>{{/user}}</nav></header>
    <main>{{{body}}}</main>
    <footer>Content-addressed: every file is also at <code>/ipfs/&lt;cid&gt;</code>. <a href="/metrics">Metrics</a></footer>
    </body></html>
    """#

    static let repoRow = #"""
    <li class="repo"><a href="{{url}}">{{fullName}}</a>{{#isPrivate}} <span class="badge">private</span>{{/isPrivate}}<span class="muted"> · updated {{updated}}</span></li>
    """#

    static let home = #"""
    {{#heading}}<h1>{{heading}}</h1>{{/heading}}
    <form class="filters" action="{{action}}" method="get"><input type="search" name="search" value="{{search}}" placeholder="Filter by name">
    <select name="sort">{{#sorts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/sorts}}</select> <button>Apply</button></form>
    {{#hasMine}}<section><h2>Your private repos</h2><ul class="repos">{{#mine}}{{> repoRow}}{{/mine}}</ul></section>{{/hasMine}}
    {{#sections}}<section><h2>{{label}} <span class="muted">({{count}})</span></h2>
    <ul class="repos">{{#repos}}{{> repoRow}}{{/repos}}{{^repos}}<li class="muted">None{{#search}} matching “{{search}}”{{/search}}.</li>{{/repos}}</ul></section>{{/sections}}
    """#

    static let repoHeader = #"""
    <div class="repohead"><span class="muted">{{typeLabel}}</span> <h1 class="repo-title"><a href="/{{ns}}">{{ns}}</a> / <a href="{{base}}">{{name}}</a></h1>
    {{#isPrivate}}<span class="badge">private</span>{{/isPrivate}}
    <nav class="tabs"><a href="{{base}}"{{#tabCard}} class="on"{{/tabCard}}>Card</a><a href="{{base}}/tree/{{revURL}}"{{#tabFiles}} class="on"{{/tabFiles}}>Files</a><a href="{{base}}/commits/{{revURL}}"{{#tabCommits}} class="on"{{/tabCommits}}>Commits</a></nav></div>
    """#

    static let card = #"""
    {{#repo}}{{> repoHeader}}
    <div class="cols"><article class="card">{{#hasTags}}<ul class="tags">{{#tags}}<li>{{.}}</li>{{/tags}}</ul>{{/hasTags}}
    {{#hasCard}}<div class="markdown">{{{cardHTML}}}</div>{{/hasCard}}{{^hasCard}}<p class="muted">No model card (README.md) yet.</p>{{/hasCard}}</article>
    <aside><h3>Use it</h3><pre><code>from huggingface_hub import snapshot_download
    snapshot_download("{{fullName}}"{{#isDataset}}, repo_type="dataset"{{/isDataset}},
                      endpoint="{{origin}}")</code></pre>
    <p>git: <code>git clone {{origin}}{{base}}</code></p>
    <p>{{fileCount}} files, {{totalSize}} · commit <a href="{{base}}/tree/{{commit}}"><code>{{shortCommit}}</code></a></p></aside></div>{{/repo}}
    """#

    static let tree = #"""
    {{#repo}}{{> repoHeader}}
    <p class="crumbs"><a href="{{base}}/tree/{{revURL}}">{{name}}</a>{{#crumbs}} / <a href="{{url}}">{{label}}</a>{{/crumbs}} <span class="muted">@ {{revision}}</span></p>
    <table class="files"><thead><tr><th>Name</th><th>Size</th><th>CID</th><th></th></tr></thead><tbody>
    {{#entries}}<tr>{{#isDir}}<td><a href="{{url}}">{{label}}/</a></td><td></td><td></td><td></td>{{/isDir}}
    {{^isDir}}<td><a href="{{url}}">{{label}}</a>{{#isLFS}} <span class="badge lfs" title="stored with Git LFS">LFS</span>{{/isLFS}}</td><td>{{size}}</td>
    <td><a class="cid" href="/ipfs/{{cid}}">{{cid}}</a></td><td><a href="{{download}}" download>download</a></td>{{/isDir}}</tr>{{/entries}}
    {{^entries}}<tr><td colspan="4" class="muted">This revision has no files.</td></tr>{{/entries}}</tbody></table>{{/repo}}
    """#

    static let blob = #"""
    {{#repo}}{{> repoHeader}}
    <p class="crumbs"><a href="{{base}}/tree/{{revURL}}">{{name}}</a>{{#crumbs}} / <a href="{{url}}">{{label}}</a>{{/crumbs}} <span class="muted">@ {{revision}}</span></p>
    <p>{{size}}{{#isLFS}} · <span class="badge lfs">LFS</span>{{/isLFS}} · CID <a class="cid" href="/ipfs/{{cid}}">{{cid}}</a> · <a href="{{download}}" download>download</a></p>
    {{#hasText}}<pre class="blob"><code>{{text}}</code></pre>{{/hasText}}
    {{^hasText}}<p class="muted">{{whyNoText}} <a href="{{download}}" download>Download the file</a>.</p>{{/hasText}}{{/repo}}
    """#

    static let commits = #"""
    {{#repo}}{{> repoHeader}}
    <ol class="commits">{{#items}}<li><a href="{{url}}"><code>{{short}}</code></a> <strong>{{title}}</strong><br><span class="muted">{{author}} · {{date}}</span></li>{{/items}}</ol>{{/repo}}
    """#

    static let login = #"""
    <h1>Sign in</h1>
    {{#error}}<p class="error">{{error}}</p>{{/error}}
    <form class="box" action="/-/login" method="post">\#(csrfField)<input type="hidden" name="next" value="{{next}}">
    <label>Access token <input type="password" name="token" autocomplete="off" required placeholder="hf_..."></label>
    <button>Sign in</button></form>
    <p class="muted">Tokens come from <code>ipfs-accelerate token create USER</code> or from the settings page once signed in.</p>
    """#

    static let settings = #"""
    <h1>Access tokens of {{userName}}</h1>
    {{#newToken}}<p class="notice">New token (shown only once): <code id="new-token">{{newToken}}</code></p>{{/newToken}}
    {{#error}}<p class="error">{{error}}</p>{{/error}}
    <table><thead><tr><th>Name</th><th>Role</th><th>Created</th><th></th></tr></thead><tbody>
    {{#tokens}}<tr><td>{{displayName}}{{#current}} <span class="badge">this session</span>{{/current}}</td><td>{{role}}</td><td>{{created}}</td>
    <td><form class="inline" action="/-/settings/tokens/revoke" method="post">\#(csrfField)<input type="hidden" name="id" value="{{id}}"><button>Revoke</button></form></td></tr>{{/tokens}}
    </tbody></table>
    <h2>New token</h2>
    <form class="box" action="/-/settings/tokens" method="post">\#(csrfField)
    <label>Name <input name="displayName" required></label>
    <label><input type="checkbox" name="write" value="1"{{^canWrite}} disabled{{/canWrite}}> write access</label>{{^canWrite}}<span class="muted">(this session's token is read-only)</span>{{/canWrite}}
    <button>Create token</button></form>
    """#

    static let error = #"""
    <h1>{{status}}</h1><p>{{message}}</p>{{#signIn}}<p><a href="/-/login?next={{next}}">Sign in</a></p>{{/signIn}}
    """#

    static let adminNav = #"""
    <nav class="tabs"><a href="/-/admin">Overview</a><a href="/-/admin/sources">Fallback sources</a><a href="/-/admin/users">Users &amp; organisations</a><a href="/-/admin/keys">Model-server keys</a><a href="/metrics">Metrics</a></nav>
    {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}{{#error}}<p class="error">{{error}}</p>{{/error}}
    """#

    static let admin = #"""
    <h1>Admin</h1>{{> adminNav}}
    <h2>Model server</h2>
    {{#status}}<p>Status: <strong>{{state}}</strong> · version {{version}} · up {{uptime}} · models {{memory}} · process {{resident}} · {{available}} models available</p>
    <h3>Loaded models</h3><ul>{{#models}}<li>{{id}} <span class="muted">({{type}}, {{memory}})</span></li>{{/models}}{{^models}}<li class="muted">none</li>{{/models}}</ul>
    <h3>Queue</h3><table class="kv">{{#queue}}<tr><th>{{key}}</th><td>{{value}}</td></tr>{{/queue}}</table>{{/status}}
    {{^status}}<p class="muted">The model server's <code>/status</code> could not be read: {{statusError}}</p>{{/status}}
    <p><a href="/metrics">Prometheus metrics</a> · <a href="/status">/status (JSON)</a></p>
    """#

    static let adminSources = #"""
    <h1>Fallback sources</h1>{{> adminNav}}
    {{^enabled}}<p class="error">The fallback is not set up on this server.</p>{{/enabled}}
    {{#test}}<p class="notice">Test of {{name}}: {{result}}</p>{{/test}}
    <table class="sources"><thead><tr><th>Name</th><th>URL</th><th>Type</th><th>Priority</th><th>Namespace</th><th>Token</th><th>Origin</th><th>State</th><th></th></tr></thead><tbody>
    {{#sources}}<tr><td>{{name}}</td><td>{{url}}</td><td>{{type}}</td><td>{{priority}}</td><td>{{namespace}}</td><td>{{#hasToken}}yes{{/hasToken}}</td><td>{{origin}}</td>
    <td>{{#enabled}}enabled{{/enabled}}{{^enabled}}disabled{{/enabled}}</td><td class="actions">
    <form class="inline" action="/-/admin/sources/test" method="post">\#(csrfField)<input type="hidden" name="id" value="{{id}}"><button>Test</button></form>
    {{#editable}}<form class="inline" action="/-/admin/sources/toggle" method="post">\#(csrfField)<input type="hidden" name="id" value="{{id}}"><button>{{#enabled}}Disable{{/enabled}}{{^enabled}}Enable{{/enabled}}</button></form>
    <a href="/-/admin/sources?edit={{id}}">Edit</a>
    <form class="inline" action="/-/admin/sources/delete" method="post">\#(csrfField)<input type="hidden" name="id" value="{{id}}"><button>Delete</button></form>{{/editable}}
    {{^editable}}<span class="muted">from configuration</span>{{/editable}}</td></tr>{{/sources}}
    {{^sources}}<tr><td colspan="9" class="muted">No sources.</td></tr>{{/sources}}</tbody></table>
    <h2>{{#edit}}Edit {{name}}{{/edit}}{{^edit}}Add a source{{/edit}}</h2>
    <form class="box" id="source-form" action="/-/admin/sources/save" method="post">\#(csrfField)
    {{#edit}}<input type="hidden" name="id" value="{{id}}">{{/edit}}
    <label>Name <input name="name" value="{{edit.name}}" required></label>
    <label>URL <input name="url" type="url" value="{{edit.url}}" required placeholder="https://huggingface.co"></label>
    <label>Type <select name="source_type"><option value="huggingface"{{#edit.isHF}} selected{{/edit.isHF}}>huggingface</option><option value="hub"{{#edit.isHub}} selected{{/edit.isHub}}>hub (this kind, KohakuHub)</option></select></label>
    <label>Priority <input name="priority" type="number" value="{{#edit}}{{priority}}{{/edit}}{{^edit}}100{{/edit}}"></label>
    <label>Namespace <input name="namespace" value="{{edit.namespace}}" placeholder="all namespaces"></label>
    <label>Token <input name="token" type="password" autocomplete="off" placeholder="{{#edit.hasToken}}unchanged (type to replace){{/edit.hasToken}}"></label>
    {{#edit.hasToken}}<label><input type="checkbox" name="clear_token" value="1"> remove the token</label>{{/edit.hasToken}}
    <label><input type="checkbox" name="enabled" value="1"{{^edit}} checked{{/edit}}{{#edit.enabled}} checked{{/edit.enabled}}> enabled</label>
    <button>{{#edit}}Save{{/edit}}{{^edit}}Add source{{/edit}}</button></form>
    <h2>Binding cache</h2>
    {{#stats}}<p>{{size}} of {{maxsize}} repos bound · TTL {{ttl}} s · {{hits}} hits, {{misses}} misses</p>{{/stats}}
    <form action="/-/admin/sources/cache/clear" method="post">\#(csrfField)<button>Clear cache</button></form>
    """#

    static let adminUsers = #"""
    <h1>Users &amp; organisations</h1>{{> adminNav}}
    {{#newToken}}<p class="notice">New token for {{newToken.user}} (shown only once): <code id="new-token">{{newToken.token}}</code></p>{{/newToken}}
    <h2>Users</h2><table><thead><tr><th>Name</th><th>Admin</th><th>Created</th><th>Organisations</th><th>Tokens</th></tr></thead><tbody>
    {{#users}}<tr><td><a href="/{{name}}">{{name}}</a></td><td>{{#isAdmin}}yes{{/isAdmin}}</td><td>{{created}}</td><td>{{orgs}}</td>
    <td>{{tokenCount}} <form class="inline" action="/-/admin/users/token" method="post">\#(csrfField)<input type="hidden" name="user" value="{{name}}">
    <label><input type="checkbox" name="write" value="1"> write</label> <button>New token</button></form></td></tr>{{/users}}</tbody></table>
    <form class="box" action="/-/admin/users" method="post">\#(csrfField)<label>New user <input name="name" required></label>
    <label><input type="checkbox" name="admin" value="1"> admin</label><button>Add user</button></form>
    <h2>Organisations</h2>
    {{#orgs}}<section class="org"><h3><a href="/{{name}}">{{name}}</a> <span class="muted">{{fullname}}</span></h3>
    <table><tbody>{{#members}}<tr><td>{{user}}</td><td>{{role}}</td><td><form class="inline" action="/-/admin/orgs/member/remove" method="post">\#(csrfField)<input type="hidden" name="org" value="{{org}}"><input type="hidden" name="user" value="{{user}}"><button>Remove</button></form></td></tr>{{/members}}
    {{^members}}<tr><td class="muted">No members.</td></tr>{{/members}}</tbody></table>
    <form class="inline box" action="/-/admin/orgs/member" method="post">\#(csrfField)<input type="hidden" name="org" value="{{name}}">
    <label>User <input name="user" required></label><label>Role <select name="role"><option>read</option><option>write</option><option>admin</option></select></label><button>Add or change member</button></form></section>{{/orgs}}
    {{^orgs}}<p class="muted">No organisations.</p>{{/orgs}}
    <form class="box" action="/-/admin/orgs" method="post">\#(csrfField)<label>New organisation <input name="name" required></label>
    <label>Full name <input name="fullname"></label><button>Add organisation</button></form>
    """#

    static let adminKeys = #"""
    <h1>Model-server API keys</h1>{{> adminNav}}
    {{#newKey}}<p class="notice">New key (shown only once): <code>{{newKey}}</code></p>{{/newKey}}
    {{#available}}<table><thead><tr><th>ID</th><th>Name</th><th>Details</th><th></th></tr></thead><tbody>
    {{#keys}}<tr><td><code>{{id}}</code></td><td>{{name}}</td><td class="muted">{{details}}</td><td><form class="inline" action="/-/admin/keys/revoke" method="post">\#(csrfField)<input type="hidden" name="id" value="{{id}}"><button>Revoke</button></form></td></tr>{{/keys}}
    {{^keys}}<tr><td colspan="4" class="muted">No keys.</td></tr>{{/keys}}</tbody></table>
    <form class="box" action="/-/admin/keys" method="post">\#(csrfField)<label>Name <input name="name" required></label><button>Create key</button></form>{{/available}}
    {{^available}}<p class="muted">{{why}}</p>{{/available}}
    """#
}
