import Foundation

/// A value bound to or read from SQL. The hub stores only integers and text, so one schema and
/// one set of statements serve SQLite and PostgreSQL alike.
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case null

    var int: Int64? { if case .int(let v) = self { return v }; return nil }
    var text: String? { if case .text(let v) = self { return v }; return nil }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    init(_ b: Bool) { self = .int(b ? 1 : 0) }
    init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    init(_ i: Int64?) { self = i.map { .int($0) } ?? .null }
}

/// The SQL spoken by an engine, for the few statements (DDL, mostly) that differ between them.
enum SQLDialect: Sendable {
    case sqlite, postgres

    /// The 64-bit integer column type.
    var integer: String {
        switch self {
        case .sqlite: return "INTEGER"
        case .postgres: return "BIGINT"
        }
    }
}

/// One result row. Records are decoded by column name (`text("name")`), so a statement's column
/// order is free and a missing or NULL required column is an error naming it, never a silent
/// default. The positional subscript remains for single-column and aggregate reads.
struct SQLRow: Sendable {
    /// The result's column names as the engine reports them (aliases where given; PostgreSQL folds
    /// unquoted names to lower case, so statements alias in lower case). Shared by every row of a result.
    let columns: [String]
    let values: [SQLValue]

    subscript(_ index: Int) -> SQLValue { values[index] }

    /// The columns in `range`, for a statement that selects several tables' columns side by side
    /// (names repeat across tables, not within one).
    subscript(_ range: Range<Int>) -> SQLRow {
        SQLRow(columns: Array(columns[range]), values: Array(values[range]))
    }

    func value(_ name: String) throws(HubDatabaseError) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else {
            throw .backend("the result has no column '\(name)' (columns: \(columns.joined(separator: ", ")))")
        }
        return values[index]
    }

    func text(_ name: String) throws(HubDatabaseError) -> String {
        guard let v = try optionalText(name) else { throw .backend("column '\(name)' is NULL") }
        return v
    }

    func optionalText(_ name: String) throws(HubDatabaseError) -> String? {
        switch try value(name) {
        case .text(let v): return v
        case .null: return nil
        case .int: throw .backend("column '\(name)' holds an integer, not text")
        }
    }

    func int(_ name: String) throws(HubDatabaseError) -> Int64 {
        guard let v = try optionalInt(name) else { throw .backend("column '\(name)' is NULL") }
        return v
    }

    func optionalInt(_ name: String) throws(HubDatabaseError) -> Int64? {
        switch try value(name) {
        case .int(let v): return v
        case .null: return nil
        case .text: throw .backend("column '\(name)' holds text, not an integer")
        }
    }

    /// Booleans are stored as 0 and 1.
    func bool(_ name: String) throws(HubDatabaseError) -> Bool { try int(name) != 0 }
}

/// One open transaction. Statements use `?` placeholders; the PostgreSQL side rewrites them.
protocol SQLTransaction: Sendable {
    func query(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow]
}

extension SQLTransaction {
    func execute(_ sql: String, _ args: [SQLValue] = []) async throws {
        _ = try await query(sql, args)
    }
    func one(_ sql: String, _ args: [SQLValue] = []) async throws -> SQLRow? {
        try await query(sql, args).first
    }
}

/// What a SQL engine must offer: transactions that commit when the body returns and roll back when it throws.
protocol SQLExecutor: Sendable {
    /// Appended to a SELECT that must lock the rows it reads until the transaction ends (" FOR UPDATE"
    /// on PostgreSQL; empty on SQLite, whose write transactions already exclude each other).
    var rowLockClause: String { get }
    /// Applies `Schema`'s migrations not yet recorded in `schema_migrations`, in one transaction
    /// that excludes concurrent migrators (other hub processes on the same database).
    func migrate() async throws
    func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T
    /// One statement outside an explicit transaction: reads of the download path, which must neither
    /// queue behind writers nor pay BEGIN/COMMIT round trips. The statement sees committed data only.
    func read(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow]
    /// `read` for a caller that cannot await (the model server's initialiser loads its keys with
    /// it). SQLite answers on the calling thread; PostgreSQL, whose client is asynchronous, refuses.
    func readNow(_ sql: String, _ args: [SQLValue]) throws -> [SQLRow]
    func close() async
}
