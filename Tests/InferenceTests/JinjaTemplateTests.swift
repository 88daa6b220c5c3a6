import Foundation
import Testing
import Inference

private func render(_ src: String, _ ctx: [String: JinjaValue] = [:]) throws -> String {
    try JinjaTemplate(src).render(ctx)
}

@Suite struct JinjaTemplateTests {
    @Test func whitespaceControlMinusStripsAllWhitespaceOnThatSide() throws {
        #expect(try render("a  \n {{- 'b' -}} \n  c") == "abc")
        #expect(try render("a\n  {%- if true %}x{% endif -%}\n  b") == "axb")
    }

    @Test func trimBlocksDropsOneNewlineAndLstripBlocksDropsIndent() throws {
        #expect(try render("{% if true %}\nyes\n{% endif %}\nend") == "yes\nend")
        #expect(try render("  {% if true %}\n    x\n  {% endif %}\n") == "    x\n")
        #expect(try render("a\n  {{ 'v' }}\n") == "a\n  v")
        #expect(try render("  {%+ if true %}x{% endif %}") == "  x")
        #expect(try render("{# c #}\n  {# d #}\nz") == "z")
    }

    @Test func loopVariablesMatchJinja() throws {
        let out = try render("{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}|{% endfor %}", ["xs": ["a", "b"]])
        #expect(out == "10TrueFalse221|21FalseTrue210|")
        #expect(try render("{% for x in xs if x > 1 %}{{ x }}{% else %}none{% endfor %}", ["xs": [1, 2, 3]]) == "23")
        #expect(try render("{% for x in [] %}{{ x }}{% else %}none{% endfor %}") == "none")
        #expect(try render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", ["d": ["b": 1, "a": 2]]) == "b=1;a=2;")
        #expect(try render("{% for x in [1,2,3,4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}") == "13")
        #expect(try render("{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}") == "-2,1-3,2-,")
    }

    @Test func namespaceCarriesStateOutOfLoopsButPlainSetDoesNot() throws {
        let src = "{% set ns = namespace(n=0, found=false) %}{% set plain = 0 %}{% for x in [1,2,3] %}{% set ns.n = ns.n + x %}{% set plain = x %}{% endfor %}{{ ns.n }} {{ plain }}"
        #expect(try render(src) == "6 0")
    }

    @Test func macrosTakeDefaultsAndKeywordArguments() throws {
        let src = "{% macro greet(name, greeting='Hi') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Yo') }}"
        #expect(try render(src) == "Hi, Ann! Yo, Bob!")
    }

    @Test func slicingFollowsPython() throws {
        #expect(try render("{{ xs[1:] }} {{ xs[::-1] }} {{ xs[:-1] }} {{ 'hello'[::-1] }} {{ 'hello'[1:3] }}", ["xs": [1, 2, 3]]) == "[2, 3] [3, 2, 1] [1, 2] olleh el")
    }

    @Test func filtersBehaveLikeJinja() throws {
        #expect(try render("{{ '  x  ' | trim }}|{{ ['a','b'] | join(', ') }}|{{ 'ab' | upper }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}") == "x|a, b|AB|Hello World|Hello")
        #expect(try render("{{ x | default('d') }}|{{ '' | default('e', true) }}|{{ [3,1,2] | sort | list }}|{{ [1,1,2] | unique | list }}|{{ [1,2] | reverse | list }}") == "d|e|[1, 2, 3]|[1, 2]|[2, 1]")
        #expect(try render("{{ ms | map(attribute='r') | join }}|{{ ms | selectattr('r', 'equalto', 'a') | list | length }}|{{ ms | rejectattr('r', 'eq', 'a') | map(attribute='r') | first }}", ["ms": [["r": "a"], ["r": "b"]]]) == "ab|1|b")
        #expect(try render("{{ '3' | int + 1 }}|{{ 2 | float }}|{{ -3 | abs }}|{{ 2.567 | round(2) }}|{{ 'a b c' | wordcount }}|{{ 'a\nb' | indent(2) }}|{{ 'x' | replace('x', 'y') }}") == "4|2.0|3|2.57|3|a\n  b|y")
        #expect(try render("{{ d | tojson }}|{{ d | tojson(indent=2) }}", ["d": ["a": [1, "é\""], "b": .none]]) == "{\"a\": [1, \"é\\\"\"], \"b\": null}|{\n  \"a\": [\n    1,\n    \"é\\\"\"\n  ],\n  \"b\": null\n}")
    }

    @Test func stringAndDictMethods() throws {
        #expect(try render("{{ ' x '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'a,b'.split(',') }}|{{ 'ab'.startswith('a') }}|{{ 'ab'.endswith(('x', 'b')) }}") == "x|a|['a', 'b']|True|True")
        #expect(try render("{{ d.get('a') }}|{{ d.get('z', 5) }}|{{ d.keys() | list }}|{{ d.values() | list }}", ["d": ["a": 1]]) == "1|5|['a']|[1]")
    }

    @Test func valuesPrintLikePython() throws {
        #expect(try render("{{ true }} {{ none }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }}") == "True None 1.0 0.30000000000000004 3.5 3 2 1024")
        #expect(try render("{{ ['a', 1, none] }} {{ {'k': 'v'} }} {{ \"it's\" ~ 1 }}") == "['a', 1, None] {'k': 'v'} it's1")
    }

    @Test func testsAndOperators() throws {
        #expect(try render("{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 'a' is string }} {{ {} is mapping }} {{ 3 is odd }} {{ 'a' in 'cat' }} {{ 1 not in [2] }} {{ 'y' if false else 'n' }}") == "False True True True True True True True n")
        #expect(try render("{{ d.missing }}|{{ d['missing'] is defined }}|{{ (d.missing or 'fallback') }}", ["d": ["a": 1]]) == "|False|fallback")
    }

    @Test func unsupportedConstructsThrowNamingTheConstructAndLine() {
        #expect(throws: JinjaError.unsupported("tag 'include'", line: 2)) { try render("x\n{% include 'a' %}") }
        #expect(throws: JinjaError.unsupported("filter 'nosuch'", line: 1)) { try render("{{ 1 | nosuch }}") }
    }

    @Test func raiseExceptionCarriesTheTemplateMessage() {
        #expect(throws: JinjaError.raised("boom")) { try render("{{ raise_exception('boom') }}") }
    }

    @Test func jsonInitKeepsKeyOrder() throws {
        let v = try JinjaValue(json: #"{"z": 1, "a": [true, null, 1.5, "\u00e9\n"]}"#)
        #expect(try JinjaTemplate("{{ v | tojson }}").render(["v": v]) == #"{"z": 1, "a": [true, null, 1.5, "é\n"]}"#)
    }
}
