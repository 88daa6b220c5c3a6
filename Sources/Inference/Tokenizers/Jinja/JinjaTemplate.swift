import Foundation

/// A parsed Jinja template, rendered as jinja2 renders it in transformers' chat-template
/// environment (`trim_blocks`, `lstrip_blocks`, loop controls, no autoescaping, sandboxed).
public struct JinjaTemplate: Sendable {
    let body: [JinjaStatement]

    /// Parses the whole template up front, so syntax errors and unknown tags surface at load time.
    public init(_ source: String) throws {
        body = try JinjaParser.parse(source)
    }

    public func render(_ context: [String: JinjaValue]) throws -> String {
        try render(context, now: Date.init)
    }

    /// `now` feeds the `strftime_now` global; tests pin it.
    public func render(_ context: [String: JinjaValue], now: @escaping @Sendable () -> Date) throws -> String {
        try JinjaInterpreter(now: now).render(body, context: context)
    }
}
