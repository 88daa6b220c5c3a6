import Foundation
import Testing
import Inference

/// Focused behaviour of the Jinja interpreter. Every expected string was produced by Python
/// jinja2 3.1.6 in transformers' chat-template environment (the one in
/// Fixtures/make_chat_template_fixtures.py), not by this interpreter.
@Suite struct JinjaTemplateTests {
    /// The clock the expectations were rendered with: 2024-07-26 10:30:00 local time.
    static let fixedNow: Date = {
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (2024, 7, 26, 10, 30, 0)
        return Calendar(identifier: .gregorian).date(from: c)!
    }()

    private func render(_ template: String, context: String = "{}") throws -> String {
        guard case .dict(let d) = try JinjaValue(json: context) else { throw JinjaError.type(line: 0, message: "context") }
        var ctx: [String: JinjaValue] = [:]
        for (k, v) in d.pairs { ctx[k] = v }
        let now = Self.fixedNow
        return try JinjaTemplate(template).render(ctx, now: { now })
    }

    private func check(_ template: String, _ expected: String, context: String = "{}",
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try render(template, context: context) == expected, "\(template)", sourceLocation: sourceLocation)
    }

    @Test func trimBlocksAndLstripBlocksRemoveTagLinesLikeJinja2() throws {
        try check("a\n  {% if true %}\n  b\n  {% endif %}\nc",
                  "a\n  b\nc")
        try check("  {%+ if true %}k{% endif +%}\nend",
                  "  k\nend")
        try check("{# comment #}\n  {# indented #}\nline\n",
                  "line")
        try check("{{ 'a' }}  {% if true %}b{% endif %}",
                  "a  b")
    }

    @Test func minusSignsStripAllWhitespaceOnTheirSide() throws {
        try check("a  {%- if true -%}  b  {%- endif -%}  c",
                  "abc")
        try check("x {{- ' y ' -}} z",
                  "x y z")
    }

    @Test func loopVariablesCountPositionsAndNeighbours() throws {
        try check("{% for x in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}|{% endfor %}",
                  "10TrueFalse332|21FalseFalse321|32FalseTrue310|",
                  context: "{\"items\": [\"a\", \"b\", \"c\"]}")
        try check("{% for x in items %}{{ loop.previtem }}-{{ x }}-{{ loop.nextitem }};{% endfor %}",
                  "-a-b;a-b-c;b-c-;",
                  context: "{\"items\": [\"a\", \"b\", \"c\"]}")
        try check("{% for a in [1,2] %}{% for b in [3,4] %}{{ loop.depth }}{{ a }}{{ b }} {% endfor %}{% endfor %}",
                  "113 114 123 124 ")
        try check("{% for x in 'ab' %}{{ loop.cycle('odd', 'even') }}{% endfor %}",
                  "oddeven")
    }

    @Test func loopFilterElseBreakAndContinue() throws {
        try check("{% for x in items if x != 'b' %}{{ loop.index }}{{ x }}{{ loop.length }}{% else %}none{% endfor %}",
                  "1a22c2",
                  context: "{\"items\": [\"a\", \"b\", \"c\"]}")
        try check("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}",
                  "empty")
        try check("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}",
                  "0134")
    }

    @Test func tupleUnpackingInForAndSet() throws {
        try check("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
                  "b=1;a=2;",
                  context: "{\"d\": {\"b\": 1, \"a\": 2}}")
        try check("{% set a, b = [1, 2] %}{{ b }}{{ a }}{% set t = (1, 2) + (3,) %}{{ t }}",
                  "21(1, 2, 3)")
    }

    @Test func namespaceCarriesStateOutOfLoopsButPlainSetDoesNot() throws {
        try check("{% set ns = namespace(count=0, last=none) %}{% for m in ['a','b','c'] %}{% set ns.count = ns.count + 1 %}{% set ns.last = m %}{% endfor %}{{ ns.count }} {{ ns.last }}",
                  "3 c")
        try check("{% set count = 0 %}{% for i in range(3) %}{% set count = count + 1 %}{{ count }}{% endfor %}|{{ count }}",
                  "111|0")
    }

    @Test func macrosTakeDefaultAndKeywordArguments() throws {
        try check("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet('Cy', 'Yo') }}",
                  "Hello, Ann! Hi, Bob! Yo, Cy!")
        try check("{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(1) ~ m(2) }}{{ m() }}",
                  "[1][2][]")
    }

    @Test func blockSetWithAndFilterBlocks() throws {
        try check("{% set x %}inner {{ 1 + 1 }}{% endset %}{{ x | upper }}",
                  "INNER 2")
        try check("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}|{% filter upper %}shout {{ 'it' }}{% endfilter %}",
                  "3|SHOUT IT")
    }

    @Test func slicingFollowsPythonForListsAndStrings() throws {
        try check("{{ items[1:] }} {{ items[::-1] }} {{ items[:-1] }} {{ items[-1] }} {{ items[1:3] }} {{ items[::2] }}",
                  "[2, 3, 4] [4, 3, 2, 1] [1, 2, 3] 4 [2, 3] [1, 3]",
                  context: "{\"items\": [1, 2, 3, 4]}")
        try check("{{ s[1:] }}|{{ s[::-1] }}|{{ s[:2] }}|{{ s[-3:] }}|{{ s[10:] }}|{{ s[4:2] }}",
                  "éllo|olléh|hé|llo||",
                  context: "{\"s\": \"héllo\"}")
    }

    @Test func valuesPrintLikePythonStr() throws {
        try check("{{ true }} {{ false }} {{ none }} {{ 1 }} {{ 1.0 }} {{ 1.5e-7 }} {{ 1e22 }} {{ 10 / 4 }} {{ 10 // 4 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 0.1 + 0.2 }}",
                  "True False None 1 1.0 1.5e-07 1e+22 2.5 2 -4 2 1024 0.30000000000000004")
        try check("{{ ['a', \"it's\", 1, 2.5, none, true, [1], {'k': 'v'}] }} {{ {'a': 1, 'b': [1, 2]} }} {{ (1, 'x') }} {{ (1,) }}",
                  "['a', \"it's\", 1, 2.5, None, True, [1], {'k': 'v'}] {'a': 1, 'b': [1, 2]} (1, 'x') (1,)")
        try check("{{ 'tab\\there' }}|{{ ['tab\\t', 'nl\\n', 'back\\\\slash', 'q\"'] }}",
                  "tab\there|['tab\\t', 'nl\\n', 'back\\\\slash', 'q\"']")
    }

    @Test func stringFilters() throws {
        try check("{{ '  x  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'hello world' | title }}|{{ 'HELLO' | lower }}|{{ 'hi' | upper }}|{{ 'hELLO' | capitalize }}",
                  "x|hi|Hello World|hello|HI|Hello")
        try check("{{ [1,2,3] | length }} {{ 'héllo' | length }} {{ {'a':1} | count }} {{ x | length }}",
                  "3 5 1 0")
        try check("{{ ['a','b'] | join(', ') }}|{{ [1,2] | join }}|{{ users | map(attribute='name') | join('/') }}",
                  "a, b|12|ann/bob",
                  context: "{\"users\": [{\"name\": \"ann\"}, {\"name\": \"bob\"}]}")
        try check("{{ 'aaa' | replace('a', 'b', 2) }}|{{ x | default('dflt') }}|{{ '' | default('dflt', true) }}|{{ none | d('n') }}",
                  "bba|dflt|dflt|None")
    }

    @Test func sequenceFilters() throws {
        try check("{{ [3,1,2] | first }}{{ [3,1,2] | last }}|{{ 'abc' | list }}|{{ [3,1,2] | sort }}|{{ ['b','A','a'] | sort }}|{{ [3,1,2] | sort(reverse=true) }}|{{ [1,2,1,3] | unique | list }}|{{ [1,2] | reverse | list }}",
                  "32|['a', 'b', 'c']|[1, 2, 3]|['A', 'a', 'b']|[3, 2, 1]|[1, 2, 3]|[2, 1]")
        try check("{{ '42' | int + 1 }}|{{ '4.7' | int }}|{{ 'x' | int }}|{{ '2.5' | float }}|{{ 3 | float }}|{{ -3 | abs }}|{{ 2.5 | round }}|{{ 3.14159 | round(2) }}|{{ 2.7 | round(0, 'floor') }}",
                  "43|4|0|2.5|3.0|3|2.0|3.14|2.0")
        try check("{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|{{ msgs | rejectattr('role', 'equalto', 'user') | list | length }}|{{ [1,2,3,4] | select('odd') | list }}|{{ [1,2,3,4] | reject('even') | list }}|{{ [0,1,'',none,'a'] | select | list }}",
                  "a,c|1|[1, 3]|[1, 3]|[1, 'a']",
                  context: "{\"msgs\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": \"c\"}]}")
        try check("{{ 'abc' | reverse }}|{{ [1, 2, 3] | sum }}|{{ [3, 1, 2] | max }}|{{ [3, 1, 2] | min }}|{{ [1,2,3,4,5] | batch(2) | list }}|{{ {'b': 1, 'a': 2} | dictsort }}",
                  "cba|6|3|1|[[1, 2], [3, 4], [5]]|[('a', 2), ('b', 1)]")
    }

    @Test func indentWordcountItemsAndTojson() throws {
        try check("{{ 'one\\ntwo' | indent(2) }}|{{ 'one\\n\\ntwo' | indent(2, true) }}|{{ 'one\\n\\ntwo' | indent(width='> ', blank=true) }}",
                  "one\n  two|  one\n\n  two|one\n> \n> two")
        try check("{{ 'Hello big world' | wordcount }}|{{ d | items | list }}|{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ 'é\"\\n' | tojson }}|{{ [1, 2.0, none, true] | tojson }}",
                  "3|[('z', 1), ('a', [1, {'b': None}])]|{\"z\": 1, \"a\": [1, {\"b\": null}]}|{\n  \"z\": 1,\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ]\n}|\"é\\\"\\n\"|[1, 2.0, null, true]",
                  context: "{\"d\": {\"z\": 1, \"a\": [1, {\"b\": null}]}}")
        try check("{{ d | tojson(separators=(',', ':'), sort_keys=true) }}|{{ 'é' | tojson(ensure_ascii=true) }}",
                  "{\"a\":2,\"z\":1}|\"\\u00e9\"",
                  context: "{\"d\": {\"z\": 1, \"a\": 2}}")
    }

    @Test func testsClassifyValues() throws {
        try check("{{ x is defined }} {{ y is not defined }} {{ none is none }} {{ 's' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 1 is number }} {{ 's' is sequence }} {{ true is boolean }} {{ false is false }} {{ true is true }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'a' is in ['a'] }} {{ 1 is integer }} {{ 1.0 is float }}",
                  "True True True True True True True True True True True True True True True True True",
                  context: "{\"x\": 1}")
    }

    @Test func stringAndDictMethods() throws {
        try check("{{ '  a b  '.strip() }}|{{ 'xxa'.lstrip('x') }}|{{ 'a  '.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'a-b'.replace('-', '+') }}|{{ \"they're 1st\".title() }}",
                  "a b|a|a|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|True|True|ABab|a+b|They'Re 1St")
        try check("{{ d.get('a') }}|{{ d.get('zz', 'dflt') }}|{{ d.get('zz') }}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d['a'] }}{{ d.a }}|{{ d.missing }}|[{{ d.missing is defined }}]",
                  "1|dflt|None|['a', 'b']|[1, 2]|11||[False]",
                  context: "{\"d\": {\"a\": 1, \"b\": 2}}")
    }

    @Test func operatorsAndLiterals() throws {
        try check("{{ 'a' ~ 1 ~ none ~ x }}|{{ 'ab' in 'cabd' }}|{{ 3 not in [1,2] }}|{{ 'k' in {'k': 1} }}|{{ 1 < 2 < 3 }}|{{ 1 == 1.0 }}|{{ not 0 }}|{{ 0 or 'fb' }}|{{ 1 and 'last' }}|{{ 'y' if x else 'n' }}|{{ 'never' if false }}",
                  "a1None|True|True|True|True|True|True|fb|last|n|")
        try check("{{ \"adjacent\" 'strings' }}|{{ 'esc\\x41\\u00e9\\101' }}|{{ 'keep\\d' }}|{{ [1, 2,] | length }}|{{ {'a': 1,}['a'] }}|{{ messages.0.role }}",
                  "adjacentstrings|escAéA|keep\\d|2|1|user",
                  context: "{\"messages\": [{\"role\": \"user\"}]}")
        try check("{{ 1 if true else 2 }}{% if not x is defined %}nd{% endif %}{{ [1, 2] == [1, 2] }}{{ {'a': 1} == {'a': 1} }}{{ 'a' < 'b' }}",
                  "1ndTrueTrueTrue")
    }

    @Test func strftimeNowUsesTheInjectedClock() throws {
        try check("{{ strftime_now('%Y-%m-%d %d %b %B %A %a %H:%M:%S %j %p %y %%') }}",
                  "2024-07-26 26 Jul July Friday Fri 10:30:00 208 AM 24 %")
    }

    @Test func escapeFilterAndRawBlocks() throws {
        try check("{{ '%d items' | e }}{{ '<a href=\"x\">&\\'</a>' | e }}",
                  "%d items&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;")
        try check("{% raw %}{{ not rendered }}{% endraw %}",
                  "{{ not rendered }}")
    }

    // MARK: - Errors

    @Test func raiseExceptionThrowsTheTemplatesMessage() {
        #expect(throws: JinjaError.raised(message: "Only user and assistant roles are supported!")) {
            try render("{{ raise_exception('Only user and assistant roles are supported!') }}")
        }
    }

    @Test func pythonRuntimeErrorsBecomeTypedErrors() {
        // jinja2: UndefinedError, TypeError, SecurityError, TypeError.
        #expect { try render("{{ x.y.z }}") } throws: { if case JinjaError.undefined(1, _) = $0 { true } else { false } }
        #expect { try render("{{ 'a' + 1 }}") } throws: {
            $0 as? JinjaError == .type(line: 1, message: "can only concatenate str (not \"int\") to str")
        }
        #expect { try render("{{ [].append(1) }}") } throws: { if case JinjaError.security(1, _) = $0 { true } else { false } }
        #expect { try render("{% for x in none %}{% endfor %}") } throws: {
            $0 as? JinjaError == .type(line: 1, message: "'NoneType' object is not iterable")
        }
    }

    @Test func unsupportedConstructsFailClearlyWithTheirLine() {
        #expect { try JinjaTemplate("ok\n{% call m() %}x{% endcall %}") } throws: {
            $0 as? JinjaError == .unsupported(line: 2, feature: "the 'call' tag")
        }
        #expect { try JinjaTemplate("{% include 'other.j2' %}") } throws: {
            $0 as? JinjaError == .unsupported(line: 1, feature: "the 'include' tag")
        }
        #expect { try render("a\nb\n{{ '%s items' % 3 }}") } throws: {
            guard case JinjaError.unsupported(3, let what) = $0 else { return false }
            return what.contains("%")
        }
        #expect { try render("{{ 'x' | center(9) }}") } throws: {
            $0 as? JinjaError == .unsupported(line: 1, feature: "the 'center' filter")
        }
        #expect { try render("{% for x in [1] recursive %}{% endfor %}") } throws: { if case JinjaError.unsupported(1, _) = $0 { true } else { false } }
        let error = JinjaError.unsupported(line: 2, feature: "the 'call' tag")
        #expect(error.description.contains("line 2") && error.description.contains("'call'"))
    }

    @Test func templatesJinja2RejectsAreSyntaxErrors() {
        // Unknown filters, tests and tags fail when the template is loaded, as in jinja2.
        #expect { try JinjaTemplate("x\n{{ y | nosuchfilter }}") } throws: {
            $0 as? JinjaError == .syntax(line: 2, message: "No filter named 'nosuchfilter'.")
        }
        #expect { try JinjaTemplate("{{ y is nosuchtest }}") } throws: {
            $0 as? JinjaError == .syntax(line: 1, message: "No test named 'nosuchtest'.")
        }
        #expect { try JinjaTemplate("{% do x %}") } throws: { if case JinjaError.syntax(1, _) = $0 { true } else { false } }
        #expect { try JinjaTemplate("{% if x %}never closed") } throws: { if case JinjaError.syntax = $0 { true } else { false } }
        #expect { try JinjaTemplate("{% break %}") } throws: { if case JinjaError.syntax = $0 { true } else { false } }
        #expect { try JinjaTemplate("{{ 'unterminated }}") } throws: { if case JinjaError.syntax = $0 { true } else { false } }
    }

    @Test func macrosRejectExtraArgumentsLikeJinja2() {
        #expect { try render("{% macro m() %}x{% endmacro %}{{ m(1) }}") } throws: {
            $0 as? JinjaError == .type(line: 1, message: "macro 'm' takes not more than 0 argument(s)")
        }
    }

    // MARK: - Values

    @Test func jsonInitialiserKeepsKeyOrder() throws {
        let v = try JinjaValue(json: #"{"zeta": 1, "alpha": {"y": [true, null, 2.5], "b": "\u00e9\ud83d\ude00"}}"#)
        guard case .dict(let d) = v, case .dict(let inner)? = d["alpha"] else { Issue.record("not a dict"); return }
        #expect(d.keys == ["zeta", "alpha"])
        #expect(inner.keys == ["y", "b"])
        #expect(inner["b"] == .string("é😀"))
        #expect(inner["y"] == .array([.bool(true), .none, .double(2.5)]))
        let data = try JSONSerialization.data(withJSONObject: ["n": 1, "f": 1.5, "b": true] as [String: Any])
        #expect(try JinjaValue(any: try JSONSerialization.jsonObject(with: data)) == ["b": true, "f": 1.5, "n": 1])
    }

    @Test func swiftLiteralsBuildContextValues() throws {
        let context: [String: JinjaValue] = ["xs": [1, "two", 3.5, true, nil], "d": ["b": 1, "a": 2]]
        // jinja2: "[1, 'two', 3.5, True, None] {'b': 1, 'a': 2}"
        #expect(try JinjaTemplate("{{ xs }} {{ d }}").render(context) == "[1, 'two', 3.5, True, None] {'b': 1, 'a': 2}")
    }
}
