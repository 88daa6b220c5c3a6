import Foundation
import Hub
import Testing

/// The web pages' pure pieces: model-card front matter, Markdown rendering with the HTML sanitiser,
/// URL checks, escaping, and the sealed session cookie with its CSRF tokens.
@Suite struct WebCardTests {
    // MARK: front matter

    @Test func frontMatterBecomesTagsAndLeavesTheBody() {
        let card = ModelCard(markdown: """
        ---
        license: apache-2.0
        language:
          - en
          - fr
        tags: [text-generation, "demo"]
        datasets:
        - wikitext
        model-index:
        - name: tiny
          results: []
        ---
        # Title

        Body text.
        """)
        // `model-index` is a nested map: not a tag, and its `- name:` items neither.
        #expect(card.tags == ["license: apache-2.0", "language: en", "language: fr", "text-generation", "demo", "datasets: wikitext"])
        #expect(card.html.contains("<h1>Title</h1>"))
        #expect(!card.html.contains("license") && !card.html.contains("---"))
    }

    @Test func withoutClosedFrontMatterEverythingIsBody() {
        let (yaml, body) = ModelCard.splitFrontMatter("---\nlicense: mit\n# no end\n")
        #expect(yaml == nil && body.hasPrefix("---"))
        let (y2, b2) = ModelCard.splitFrontMatter("# Plain\r\ntext")
        #expect(y2 == nil && b2 == "# Plain\ntext")
        let (y3, b3) = ModelCard.splitFrontMatter("---\r\na: b\r\n---\r\nrest")
        #expect(y3 == "a: b" && b3 == "rest")
    }

    @Test func yamlScalarsAreUnquotedAndCommentsSkipped() {
        #expect(ModelCard.tags(fromYAML: "# comment\nlicense: 'mit'\npipeline_tag: \"fill-mask\"\nempty:\n") ==
            ["license: mit", "pipeline_tag: fill-mask"])
    }

    // MARK: Markdown and sanitising

    @Test func headingsAndEmphasisRender() {
        let html = ModelCard.render("# One\n\n## Two\n\nSome **bold** and `code <b>`.\n")
        #expect(html.contains("<h1>One</h1>") && html.contains("<h2>Two</h2>") && html.contains("<strong>bold</strong>"))
        #expect(html.contains("<code>code &lt;b&gt;</code>"))
    }

    @Test func rawHTMLFromTheReadmeIsShownAsText() {
        let html = ModelCard.render("<script>alert(1)</script>\n\n# Hi <script>x()</script>\n\n<iframe src=\"https://e.vil\"></iframe>\n")
        #expect(!html.contains("<script") && !html.contains("<iframe"))
        #expect(html.contains("&lt;script>alert(1)&lt;/script>") || html.contains("&lt;script&gt;"))
    }

    @Test func eventHandlersAndStyleAttributesAreDropped() {
        let html = HTMLSanitizer.sanitize(#"<img src="a.png" onerror="alert(1)" style="x"><p onclick='x'>t</p><a href="/x" onmouseover=y>l</a>"#)
        #expect(html == #"<img src="a.png"><p>t</p><a href="/x" rel="nofollow noopener noreferrer">l</a>"#)
    }

    @Test func javascriptLinksLoseTheirHref() {
        for md in ["[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "<a href=\"java&#09;script:alert(1)\">x</a>",
                   "<a href=\"javascript&#58;alert(1)\">x</a>", "<a href=' javascript:alert(1)'>x</a>", "[x](data:text/html,<script>)",
                   "<a href=\"&#x6A;avascript:alert(1)\">x</a>", "<a href=\"vbscript:x\">x</a>"] {
            let html = ModelCard.render(md)
            #expect(!html.lowercased().contains("href=\"javascript") && !html.contains("href=\"data:") && !html.contains("vbscript"), "\(md) -> \(html)")
        }
        #expect(ModelCard.render("[ok](https://example.org/a?b=1)").contains(#"href="https://example.org/a?b=1""#))
    }

    @Test func urlCheckAllowsWebAndRelativeURLsOnly() {
        for ok in ["https://a.b/c", "http://x", "mailto:a@b.c", "/path", "rel/path:x", "#frag", "?q=a:b", "page.html"] {
            #expect(HTMLSanitizer.isSafeURL(ok), "\(ok)")
        }
        for bad in ["javascript:x", " JAVASCRIPT:x", "java\tscript:x", "data:text/html,x", "file:///etc/passwd", "vbscript:x"] {
            #expect(!HTMLSanitizer.isSafeURL(bad), "\(bad)")
        }
    }

    @Test func attributeQuotesCannotBreakOut() {
        let html = HTMLSanitizer.sanitize(#"<a href='/x"onmouseover="alert(1)'>t</a>"#)
        #expect(html == #"<a href="/x&quot;onmouseover=&quot;alert(1)" rel="nofollow noopener noreferrer">t</a>"#)
        #expect(HTMLSanitizer.sanitize("a < b and <!-- c -->") == "a &lt; b and &lt;!-- c -->")
        #expect(HTMLSanitizer.sanitize("<a href=\"x") == "&lt;a href=\"x")
    }

    @Test func escapingCoversQuotes() {
        #expect(htmlEscape(#"<a href="x" title='y'>&"#) == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;")
    }

    // MARK: session cookie and CSRF

    @Test func sessionsRoundTripAndRefuseTamperingAndExpiry() {
        let seal = WebSeal(secret: Array(repeating: 7, count: 32))
        let s = WebSession(tokenSHA256: String(repeating: "ab", count: 32), expires: 2_000, nonce: "n0nce")
        let cookie = seal.seal(s)
        #expect(!cookie.contains(";") && !cookie.contains(" ") && !cookie.contains("="))
        #expect(seal.open(cookie, now: 1_000) == s)
        #expect(seal.open(cookie, now: 2_000) == nil)  // expired
        let other = WebSeal(secret: Array(repeating: 8, count: 32))
        #expect(other.open(cookie, now: 1_000) == nil)  // another hub's secret
        var bytes = Array(cookie)
        bytes[3] = bytes[3] == "A" ? "B" : "A"
        #expect(seal.open(String(bytes), now: 1_000) == nil)  // tampered payload
        #expect(seal.open("garbage", now: 1_000) == nil)
    }

    @Test func csrfTokensAreBoundToTheNonce() {
        let seal = WebSeal(secret: Array(repeating: 1, count: 32))
        let token = seal.csrfToken(nonce: "abc")
        #expect(token.count == 64)
        #expect(seal.checkCSRF(token, nonce: "abc"))
        #expect(!seal.checkCSRF(token, nonce: "abd"))
        #expect(!seal.checkCSRF(nil, nonce: "abc") && !seal.checkCSRF("", nonce: "abc") && !seal.checkCSRF(token, nonce: ""))
    }
}

@Suite struct WebCardLinkTests {
    @Test func relativeLinksAndImagesPointIntoTheRepo() {
        let html = ModelCard.render("[docs](docs/a.md) ![plot](./plot.png) [abs](/x) [frag](#y) [web](https://e.org/z)",
                                    pageBase: "/ns/m/blob/main/", fileBase: "/ns/m/resolve/main/")
        #expect(html.contains(#"href="/ns/m/blob/main/docs/a.md""#))
        #expect(html.contains(#"src="/ns/m/resolve/main/plot.png""#))
        #expect(html.contains(#"href="/x""#) && html.contains(##"href="#y""##) && html.contains(#"href="https://e.org/z""#))
    }

    @Test func repoRelativeMeansNoSchemeAndNotAbsolute() {
        #expect(HTMLSanitizer.isRepoRelative("a/b:c") && HTMLSanitizer.isRepoRelative("./x.png"))
        #expect(!HTMLSanitizer.isRepoRelative("/a") && !HTMLSanitizer.isRepoRelative("#a") && !HTMLSanitizer.isRepoRelative("https://a"))
        #expect(!HTMLSanitizer.isRepoRelative("mailto:x@y") && !HTMLSanitizer.isRepoRelative(""))
    }
}
