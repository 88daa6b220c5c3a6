import Foundation
import Hub
import HubDatabase
import Testing

/// Settings, source merging, URL mapping, classification and token sealing, as docs/fallback.md and
/// docs/hf-hub-protocol.md specify them.
@Suite struct FallbackConfigTests {
    @Test func defaultsAreTheDesignsDefaults() throws {
        let s = try FallbackSettings.load(environment: [:], dataDirectory: nil)
        #expect(s.enabled && s.cacheTTL == 300 && s.timeout == 10 && s.maxConcurrent == 5)
        #expect(s.mode == .pullThrough && s.sources.isEmpty && s.cacheMaxBytes == nil)
    }

    @Test func environmentSourcesAreParsedDeduplicatedByURLAndSortedByPriority() throws {
        let json = """
        [{"url": "https://huggingface.co/", "source_type": "huggingface", "priority": 2, "name": "HF", "token": "hf_x"},
         {"url": "http://127.0.0.1:9000", "source_type": "kohakuhub", "priority": 1, "namespace": "ml-team"},
         {"url": "https://HUGGINGFACE.co", "source_type": "huggingface", "priority": 0, "name": "dup"}]
        """
        let s = try FallbackSettings.load(environment: ["HUB_FALLBACK_SOURCES": json, "HUB_FALLBACK_MODE": "redirect",
                                                        "HUB_FALLBACK_CACHE_TTL": "60", "HUB_FALLBACK_DENY": "secret/*, x/y"],
                                          dataDirectory: nil)
        #expect(s.sources.map(\.url) == ["http://127.0.0.1:9000", "https://huggingface.co"])
        #expect(s.sources.map(\.sourceType) == [.hub, .huggingface])
        #expect(s.sources[1].name == "HF" && s.sources[1].token == "hf_x")
        #expect(s.sources[0].applies(to: "ml-team") && !s.sources[0].applies(to: "other"))
        #expect(s.sources[1].applies(to: "anyone"))
        #expect(s.mode == .redirect && s.cacheTTL == 60 && s.patterns.deny == ["secret/*", "x/y"])
    }

    @Test func configFileIsReadAndEnvironmentOverridesIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fbcfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = """
        {"timeout": 3, "max_concurrent": 2, "allow": ["org/*"],
         "sources": [{"url": "http://127.0.0.1:1", "source_type": "hub", "priority": 9}]}
        """
        try Data(file.utf8).write(to: dir.appendingPathComponent("fallback.json"))
        let env = ["HUB_FALLBACK_TIMEOUT": "4",
                   "HUB_FALLBACK_SOURCES": #"[{"url": "http://127.0.0.1:2", "source_type": "hub", "priority": 10}]"#]
        let s = try FallbackSettings.load(environment: env, dataDirectory: dir)
        #expect(s.timeout == 4 && s.maxConcurrent == 2 && s.patterns.allow == ["org/*"])
        #expect(s.sources.map(\.url) == ["http://127.0.0.1:1", "http://127.0.0.1:2"])
    }

    @Test func badSettingsGiveErrorsNamingTheSetting() {
        #expect(throws: FallbackConfigError.self) { try FallbackSettings.load(environment: ["HUB_FALLBACK_SOURCES": "{"], dataDirectory: nil) }
        #expect(throws: FallbackConfigError.self) {
            try FallbackSettings.load(environment: ["HUB_FALLBACK_SOURCES": #"[{"url": "ftp://x", "source_type": "hub"}]"#], dataDirectory: nil)
        }
        #expect(throws: FallbackConfigError.self) {
            try FallbackSettings.load(environment: ["HUB_FALLBACK_SOURCES": #"[{"url": "http://x", "source_type": "gitlab"}]"#], dataDirectory: nil)
        }
        do {
            _ = try FallbackSettings.load(environment: ["HUB_FALLBACK_MODE": "mirror"], dataDirectory: nil)
            Issue.record("an unknown mode was accepted")
        } catch {
            #expect("\(error)".contains("HUB_FALLBACK_MODE"))
        }
    }

    @Test func repoPatternsDenyWinsAndEmptyAllowAllowsAll() {
        let p = RepoPatterns(allow: ["org/*", "bert-?ase/x"], deny: ["org/secret*"])
        #expect(p.permits("org/model") && p.permits("bert-base/x"))
        #expect(!p.permits("org/secret-model") && !p.permits("other/model") && !p.permits("bert-large/x"))
        #expect(RepoPatterns().permits("anything/goes"))
        #expect(!RepoPatterns(deny: ["*"]).permits("a/b"))
    }

    @Test func huggingfaceURLsHaveNoModelsPrefixForFilesAndEncodeRevisions() {
        let hf = FallbackSource(id: "1", name: "HF", url: "https://huggingface.co/", sourceType: .huggingface)
        #expect(SourceURLs.resolve(hf, .model, "org", "m", revision: "refs/pr/1", path: "sub/a b.txt")
                == "https://huggingface.co/org/m/resolve/refs%2Fpr%2F1/sub/a%20b.txt")
        #expect(SourceURLs.resolve(hf, .dataset, "org", "d", revision: "main", path: "x.csv")
                == "https://huggingface.co/datasets/org/d/resolve/main/x.csv")
        #expect(SourceURLs.api(hf, .dataset, "org", "d") == "https://huggingface.co/api/datasets/org/d")
        let hub = FallbackSource(id: "2", name: "peer", url: "http://127.0.0.1:8001", sourceType: .hub)
        #expect(SourceURLs.resolve(hub, .model, "a", "b", revision: "main", path: "f") == "http://127.0.0.1:8001/a/b/resolve/main/f")
        #expect(SourceURLs.origin("http://127.0.0.1:8001/x?y") == "http://127.0.0.1:8001")
        #expect(SourceURLs.origin("https://HF.co/a") == "https://hf.co")
    }

    @Test func upstreamAnswersAreClassifiedAsTheDesignSays() {
        #expect(UpstreamVerdict.classify(status: 200, errorCode: nil) == .bind)
        #expect(UpstreamVerdict.classify(status: 302, errorCode: nil) == .bind)
        #expect(UpstreamVerdict.classify(status: 404, errorCode: "EntryNotFound") == .bindAndPassOn)
        #expect(UpstreamVerdict.classify(status: 404, errorCode: "RevisionNotFound") == .bindAndPassOn)
        #expect(UpstreamVerdict.classify(status: 404, errorCode: "RepoNotFound") == .next(.notFound))
        #expect(UpstreamVerdict.classify(status: 401, errorCode: "RepoNotFound") == .next(.notFound))
        #expect(UpstreamVerdict.classify(status: 403, errorCode: "GatedRepo") == .next(.gated))
        #expect(UpstreamVerdict.classify(status: 401, errorCode: nil) == .next(.forbidden))
        #expect(UpstreamVerdict.classify(status: 404, errorCode: nil) == .next(.notFound))
        #expect(UpstreamVerdict.classify(status: 503, errorCode: nil) == .next(.unavailable))
        #expect([FailureCause.unavailable, .gated, .notFound, .forbidden].max() == .gated)
        #expect(FailureCause.notFound > .unavailable && FailureCause.forbidden > .notFound)
    }

    @Test func sealedTokensOpenOnlyWithTheSameSecret() throws {
        let a = TokenCipher(secret: Array(repeating: 7, count: 32))
        let sealed = try a.seal("hf_secretToken")
        #expect(!sealed.contains("hf_secretToken"))
        #expect(try a.open(sealed) == "hf_secretToken")
        #expect(try a.seal("hf_secretToken") != sealed)  // fresh nonce each time
        let b = TokenCipher(secret: Array(repeating: 8, count: 32))
        #expect(throws: FallbackConfigError.self) { try b.open(sealed) }
        var tampered = Array(sealed)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        #expect(throws: FallbackConfigError.self) { try a.open(String(tampered)) }
    }
}
