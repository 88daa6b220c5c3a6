import Foundation
import Testing
import Hub

/// How a fallback source's fields read from JSON, as the dictionary reads they replace did: a
/// field of the wrong type takes its default (an update then sets it), a non-string `url` is refused.
@Suite struct FallbackSourceFieldsTests {
    func fields(_ json: String) throws -> FallbackSourceFields {
        try JSONDecoder().decode(FallbackSourceFields.self, from: Data(json.utf8))
    }

    let stored = FallbackSourceFields(name: "peer", url: "http://10.0.0.2:8000", sourceType: "hub", priority: 7,
                                      namespace: "team", enabled: false)

    @Test func anUpdateWithAMistypedURLIsRefusedNotIgnored() throws {
        let update = try fields(#"{"url": 5}"#).overlaid(on: stored)
        #expect(throws: (any Error).self) { try FallbackSource.parse(update, index: 0, origin: "database") }
        #expect(throws: (any Error).self) { try FallbackSource.parse(try fields(#"{"url": null}"#), index: 0, origin: "database") }
    }

    @Test func mistypedFieldsTakeTheirDefaultsAndAbsentOnesKeepTheStoredValues() throws {
        let kept = try FallbackSource.parse(try fields(#"{}"#).overlaid(on: stored), index: 0, origin: "database")
        #expect(kept.priority == 7 && kept.namespace == "team" && !kept.enabled && kept.sourceType == .hub)
        let reset = try FallbackSource.parse(try fields(#"{"priority": "high", "namespace": 3, "enabled": "yes", "source_type": []}"#)
                                                .overlaid(on: stored), index: 0, origin: "database")
        #expect(reset.priority == 100 && reset.namespace == "" && reset.enabled && reset.sourceType == .huggingface)
        #expect(try fields(#"{"priority": "12"}"#).priority == 12)
        #expect(try fields(#"{"enabled": 0}"#).enabled == false)
    }

    @Test func aTokenIsKeptRemovedOrReplaced() throws {
        #expect(try fields(#"{}"#).token == .absent)
        #expect(try fields(#"{"token": null}"#).token == .remove)
        #expect(try fields(#"{"token": ""}"#).token == .remove)
        #expect(try fields(#"{"token": "hf_x"}"#).token == .set("hf_x"))
        #expect(try fields(#"{"token": "hf_x"}"#).overlaid(on: stored).token == .set("hf_x"))
    }
}
