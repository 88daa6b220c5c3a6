import Foundation
import Testing
import Inference

/// Structured output's grammar: which texts it lets through, that whatever a walk through it
/// produces parses (Foundation's JSON parser is the judge) and meets the schema, and that the
/// whole-vocabulary mask equals checking each token on its own.
@Suite struct JSONGrammarTests {
    static func grammar(_ schema: String) throws -> JSONGrammar {
        try JSONGrammar(schema: JinjaValue.parseJSON(schema))
    }

    static func admits(_ g: JSONGrammar, _ text: String) -> Bool {
        var m = JSONGrammarMatcher(g)
        return m.advance(Array(text.utf8)) && m.isComplete
    }

    static let person = #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}, "age": {"type": "integer", "minimum": 0, "maximum": 120}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2}, "nick": {"type": ["string", "null"]}}, "required": ["name", "age"], "additionalProperties": false}"#

    @Test func admitsExactlyTheTextsTheSchemaDescribes() throws {
        let g = try Self.grammar(Self.person)
        for ok in [#"{"name": "Ann", "age": 30}"#, #"{"name":"Ann","age":0,"tags":["a","b"]}"#,
                   "{\n  \"name\": \"\\u00e9\\n\",\n  \"age\": 120,\n  \"nick\": null\n}", #"{"name": "Zoë", "age": 7, "tags": []}"#] {
            #expect(Self.admits(g, ok), "\(ok)")
        }
        for bad in [#"{"age": 30, "name": "Ann"}"#,          // out of the schema's order
                    #"{"name": "Ann"}"#,                      // a required property missing
                    #"{"name": "Ann", "age": 121}"#,          // above maximum
                    #"{"name": "Ann", "age": -1}"#,           // below minimum
                    #"{"name": "Ann", "age": 3.5}"#,          // not an integer
                    #"{"name": "Annabelle!", "age": 3}"#,     // longer than maxLength
                    #"{"name": "Ann", "age": 3, "tags": ["c"]}"#,
                    #"{"name": "Ann", "age": 3, "tags": ["a","a","b"]}"#,
                    #"{"name": "Ann", "age": 3, "x": 1}"#,    // a property the schema does not list
                    #"{"name": "Ann", "age": 03}"#, #"{"name": "A\x", "age": 3}"#, "{\"name\": \"\u{1}\", \"age\": 3}",
                    #"{"name": "Ann", "age": 3,}"#, #"{"name": "Ann", "age": 3} x"#] {
            #expect(!Self.admits(g, bad), "\(bad)")
        }
    }

    @Test func refsAnyOfAndNumberBoundsCompose() throws {
        let g = try Self.grammar(##"{"$defs": {"Node": {"type": "object", "properties": {"v": {"type": "number", "exclusiveMinimum": -1.5, "maximum": 2}, "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}, "required": ["v", "next"]}}, "$ref": "#/$defs/Node"}"##)
        #expect(Self.admits(g, #"{"v": -1.25, "next": {"v": 2, "next": null}}"#))
        #expect(Self.admits(g, #"{"v": 1.999, "next": null}"#))
        #expect(!Self.admits(g, #"{"v": -1.5, "next": null}"#))
        #expect(!Self.admits(g, #"{"v": 2.01, "next": null}"#))
        #expect(!Self.admits(g, #"{"v": 1, "next": {"v": 3, "next": null}}"#))
    }

    @Test func unsupportedKeywordsAreRefusedByName() throws {
        for (schema, word) in [(#"{"type": "string", "pattern": "^a+$"}"#, "pattern"), (#"{"type": "string", "format": "email"}"#, "format"),
                               (#"{"allOf": [{"type": "object"}, {"required": ["a"]}]}"#, "allOf"), (#"{"not": {"type": "null"}}"#, "not"),
                               (#"{"type": "integer", "minimum": 5, "maximum": 4}"#, "bounds")] {
            #expect { _ = try Self.grammar(schema) } throws: { "\($0)".contains(word) }
        }
    }

    /// Random walks through the grammar, closing by the shortest way after a while: every text
    /// they end on must parse and meet the schema.
    @Test func everyWalkEndsOnJSONThatMeetsTheSchema() throws {
        let g = try Self.grammar(Self.person)
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(" \n\"{}[],:-.0123456789abcdefghijklmnopqrstuvwxyzAZ\\/é".utf8)
        for walk in 0..<300 {
            var m = JSONGrammarMatcher(g)
            var text: [UInt8] = []
            var steps = 0
            while !m.mustEnd && !(m.isComplete && Int.random(in: 0..<4, using: &rng) == 0) {
                let need = m.bytesToComplete
                var options = alphabet.filter { m.accepts([$0]) }
                if steps > 60 {   // close: only bytes that bring the end nearer
                    options = options.filter { var n = m; return n.advance([$0]) && n.bytesToComplete < need }
                }
                guard let b = options.randomElement(using: &rng) else { break }
                m.advance([b])
                text.append(b)
                steps += 1
                #expect(steps < 400, "walk \(walk) does not close: \(String(decoding: text, as: UTF8.self))")
                if steps >= 400 { break }
            }
            let s = String(decoding: text, as: UTF8.self)
            let complete = m.isComplete
            #expect(complete, "walk \(walk) ended incomplete: \(s)")
            guard let obj = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
                Issue.record("walk \(walk) is not a JSON object: \(s)"); continue
            }
            #expect(Set(obj.keys).isSubset(of: ["name", "age", "tags", "nick"]) && obj["name"] is String, "\(s)")
            #expect((obj["name"] as? String).map { $0.count <= 8 } ?? false, "\(s)")
            let age = (obj["age"] as? NSNumber)?.doubleValue ?? -1
            #expect(age >= 0 && age <= 120 && age == age.rounded(), "\(s)")
            if let tags = obj["tags"] { #expect((tags as? [String]).map { $0.count <= 2 && $0.allSatisfy(["a", "b"].contains) } ?? false, "\(s)") }
        }
    }

    /// The trie walk over the sorted vocabulary must give each token the answer `accepts` gives.
    @Test func theVocabularyMaskEqualsCheckingEachToken() throws {
        let model = try SmolLM.load()
        let tok = model.bpe
        let g = try Self.grammar(Self.person)
        for prefix in ["", "{", #"{"name": "A"#, #"{"name": "Ann", "age": 1"#, #"{"name": "Ann", "age": 12, "tags": ["#] {
            var m = JSONGrammarMatcher(g)
            let took = m.advance(Array(prefix.utf8))
            #expect(took)
            let mask = m.allowedTokens(tok.vocabularyIndex, vocabularySize: tok.vocabularySize)
            var differ: [Int] = []
            var allowed = 0
            for t in 0..<tok.vocabularySize {
                let bytes = tok.bytes(of: t)
                let special = tok.decode([t], skipSpecialTokens: true).isEmpty && !bytes.isEmpty
                let want = !special && !bytes.isEmpty && m.accepts(bytes)
                if want != mask[t] { differ.append(t) }
                if mask[t] { allowed += 1 }
            }
            #expect(differ.isEmpty, "after \(prefix.debugDescription): \(differ.prefix(5).map { tok.decode([$0], skipSpecialTokens: false) })")
            #expect(allowed > 0, "after \(prefix.debugDescription) no token is allowed")
        }
    }
}
