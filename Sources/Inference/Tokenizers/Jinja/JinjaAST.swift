import Foundation

/// Arguments as written at a call site: `f(a, b, key=value)`.
struct JinjaArguments: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [(String, JinjaExpr)] = []
    var isEmpty: Bool { positional.isEmpty && keyword.isEmpty }
}

indirect enum JinjaExpr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    /// `a.b`: attribute first, then key (jinja2's `getattr`).
    case attribute(JinjaExpr, String)
    /// `a[b]`: key first, then attribute (jinja2's `getitem`).
    case item(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
    case call(JinjaExpr, JinjaArguments)
    case filter(JinjaExpr, name: String, JinjaArguments)
    case test(JinjaExpr, name: String, JinjaArguments, negated: Bool)
    case not(JinjaExpr)
    case negate(JinjaExpr)
    case plus(JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    case concat([JinjaExpr])
    /// Python-style chained comparison: `a < b < c`.
    case compare(JinjaExpr, [(String, JinjaExpr)])
    case conditional(test: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

indirect enum JinjaTarget: Sendable {
    case name(String)
    case tuple([JinjaTarget])
    /// `ns.attr`, only valid on a namespace.
    case namespaceAttribute(String, String)
}

struct JinjaFilterCall: Sendable {
    var name: String
    var arguments: JinjaArguments
    var line: Int
}

struct JinjaMacroDefinition: Sendable {
    var name: String
    var parameters: [(String, JinjaExpr?)]
    var body: [JinjaStatement]
    var line: Int
}

struct JinjaForLoop: Sendable {
    var target: JinjaTarget
    var iterable: JinjaExpr
    var condition: JinjaExpr?
    var body: [JinjaStatement]
    var otherwise: [JinjaStatement]
}

indirect enum JinjaStatement: Sendable {
    case text(String)
    case output(JinjaExpr, line: Int)
    case conditional([(JinjaExpr, [JinjaStatement])], otherwise: [JinjaStatement], line: Int)
    case forLoop(JinjaForLoop, line: Int)
    case set(JinjaTarget, JinjaExpr, line: Int)
    case setBlock(JinjaTarget, filters: [JinjaFilterCall], body: [JinjaStatement], line: Int)
    case macro(JinjaMacroDefinition)
    case filterBlock([JinjaFilterCall], body: [JinjaStatement], line: Int)
    case with([(JinjaTarget, JinjaExpr)], body: [JinjaStatement], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}
