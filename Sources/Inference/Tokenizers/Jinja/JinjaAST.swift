indirect enum JinjaExpr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case attr(JinjaExpr, String)
    case subscript_(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, [JinjaExpr], [(String, JinjaExpr)])
    case filter(JinjaExpr, String, [JinjaExpr], [(String, JinjaExpr)])
    case test(JinjaExpr, String, [JinjaExpr], negated: Bool)
    case unary(String, JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr)
    case compare(JinjaExpr, [(String, JinjaExpr)])
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    case not(JinjaExpr)
    case conditional(JinjaExpr, JinjaExpr, JinjaExpr?)
    case list([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
}

indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr, line: Int)
    case ifChain([(JinjaExpr, [JinjaNode])], else_: [JinjaNode], line: Int)
    case forLoop(targets: [String], iter: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], else_: [JinjaNode], line: Int)
    case set(name: String, attr: String?, value: JinjaExpr, line: Int)
    case setBlock(name: String, body: [JinjaNode], line: Int)
    case macro(name: String, params: [(String, JinjaExpr?)], body: [JinjaNode], line: Int)
    case loopBreak, loopContinue
    case group([JinjaNode])
}
