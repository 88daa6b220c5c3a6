import Foundation
import Testing
import Inference

/// Regressions found by Fuzz/Sources/FuzzChatTemplate: a chat template comes with a model (any hub
/// user can publish one), so a hostile one must fail with a typed error, not take the process down.
@Suite struct JinjaLimitsTests {
    private func render(_ template: String) throws -> String {
        try JinjaTemplate(template).render(["messages": .array([])], now: { Date(timeIntervalSince1970: 0) })
    }

    private func expectSecurityError(_ template: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { _ = try render(template) } throws: { error in
            if case JinjaError.security = error { return true } else { return false }
        }
    }

    /// Deep nesting overflowed the stack in the parser (parentheses, lists, blocks) or in the
    /// interpreter (long operator chains, unary chains, recursive macros).
    @Test func deepNestingIsRefused() {
        expectSecurityError("{{ " + String(repeating: "(", count: 2000) + "1" + String(repeating: ")", count: 2000) + " }}")
        expectSecurityError("{{ " + String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000) + " }}")
        expectSecurityError(String(repeating: "{% if true %}", count: 300) + String(repeating: "{% endif %}", count: 300))
        expectSecurityError("{{ " + String(repeating: "-", count: 4000) + "1 }}")
        expectSecurityError("{{ 1" + String(repeating: "+1", count: 2000) + " }}")
        expectSecurityError("{{ x" + String(repeating: ".a", count: 2000) + " }}")
        expectSecurityError("{{ 1" + String(repeating: "|abs", count: 1000) + " }}")
        expectSecurityError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
    }

    /// `'x' * 10**10` (and indent/batch widths) asked for gigabytes at once.
    @Test func hugeRepetitionIsRefused() {
        expectSecurityError("{{ 'x' * 10000000000 }}")
        expectSecurityError("{{ [1, 2] * 100000000 }}")
        expectSecurityError("{{ 'a' | indent(10000000000) }}")
        expectSecurityError("{{ {'a': 1} | tojson(indent=10000000000) }}")
        expectSecurityError("{{ [1] | batch(10000000000, 0) | list }}")
    }

    /// What real templates do stays well inside the limits.
    @Test func ordinaryNestingAndRepetitionStillRender() throws {
        #expect(try render("{{ " + String(repeating: "(", count: 40) + "1" + String(repeating: ")", count: 40) + " }}") == "1")
        #expect(try render("{{ 1" + String(repeating: "+1", count: 100) + " }}") == "101")
        #expect(try render("{{ '=' * 80 }}") == String(repeating: "=", count: 80))
        #expect(try render("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{{ n }}{% endmacro %}{{ f(20) }}")
                == (0...20).map(String.init).joined())
    }
}
