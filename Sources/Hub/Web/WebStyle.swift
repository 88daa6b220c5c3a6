/// The one stylesheet of the web pages, served at `/-/static/hub.css` (plain CSS, no build step).
enum WebStyle {
    static let css = """
    :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --accent: #0b5fff; --bg2: #f6f8fa; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
    a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
    a:not([href]) { color: inherit; text-decoration: none; }
    header.top { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--bg2); }
    header.top .brand { font-weight: 700; color: var(--fg); }
    header.top .search { flex: 1; } header.top .search input { width: 100%; max-width: 28rem; }
    header.top nav { display: flex; gap: .8rem; align-items: center; }
    main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
    footer { border-top: 1px solid var(--line); padding: 1rem 1.5rem; color: var(--muted); font-size: 13px; }
    input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 6px; }
    button { background: var(--bg2); cursor: pointer; } button.link { border: 0; background: none; color: var(--accent); padding: 0; }
    form.inline { display: inline; } form.box { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .6rem 0 1.2rem; }
    form.box label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
    .muted { color: var(--muted); } .error { color: #b42318; } .notice { background: #e6f4ea; padding: .5rem .8rem; border-radius: 6px; }
    .badge { display: inline-block; font-size: 12px; padding: 0 .4rem; border: 1px solid var(--line); border-radius: 1rem; color: var(--muted); }
    .badge.lfs { border-color: #9a6700; color: #9a6700; }
    ul.repos { list-style: none; padding: 0; } ul.repos li { padding: .45rem 0; border-bottom: 1px solid var(--line); }
    .repohead { border-bottom: 1px solid var(--line); margin-bottom: 1rem; } .repo-title { display: inline; font-size: 1.4rem; }
    nav.tabs { display: flex; gap: 1.2rem; margin-top: .6rem; } nav.tabs a { padding: .3rem 0; } nav.tabs a.on { border-bottom: 2px solid var(--fg); color: var(--fg); }
    .cols { display: grid; grid-template-columns: minmax(0, 1fr) 20rem; gap: 2rem; }
    @media (max-width: 800px) { .cols { grid-template-columns: 1fr; } }
    ul.tags { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem; }
    ul.tags li { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 0 .5rem; font-size: 13px; }
    .markdown img { max-width: 100%; } pre { background: var(--bg2); padding: .8rem; overflow: auto; border-radius: 6px; }
    table { border-collapse: collapse; width: 100%; margin: .5rem 0; } th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    a.cid { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
    ol.commits li { margin-bottom: .6rem; } td.actions { white-space: nowrap; }
    pre.blob { max-height: 70vh; } aside pre { font-size: 12px; white-space: pre-wrap; word-break: break-all; }
    aside code { word-break: break-all; } table.kv { width: auto; } table.kv th { font-weight: 500; color: var(--muted); }
    """
}
