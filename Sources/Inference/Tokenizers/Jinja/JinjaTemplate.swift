import Foundation

/// A parsed template. Parsing happens once; each render runs a fresh interpreter.
public struct JinjaTemplate: Sendable {
    let nodes: [JinjaNode]

    public init(_ source: String) throws { nodes = try JinjaParser.parse(source) }

    public func render(_ context: [String: JinjaValue]) throws -> String {
        var globals: [String: JinjaRuntimeValue] = [
            "raise_exception": .function("raise_exception"),
            "strftime_now": .function("strftime_now"),
            "namespace": .function("namespace"),
            "range": .function("range"),
            "dict": .function("dict"),
        ]
        for (k, v) in context { globals[k] = JinjaRuntimeValue(v) }
        let interp = JinjaInterpreter(globals: globals)
        _ = try interp.exec(nodes)
        return interp.out
    }
}
