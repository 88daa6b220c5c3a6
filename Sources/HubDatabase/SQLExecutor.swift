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
}

typealias SQLRow = [SQLValue]

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
    /// "INTEGER" for SQLite, "BIGINT" for PostgreSQL.
    var integerType: String { get }
    /// Statement that serialises concurrent migrations (PostgreSQL with several hub instances).
    var migrationLockSQL: String? { get }
    /// Appended to a SELECT that must lock the rows it reads until the transaction ends (" FOR UPDATE"
    /// on PostgreSQL; empty on SQLite, whose write transactions already exclude each other).
    var rowLockClause: String { get }
    func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T
    /// One statement outside an explicit transaction: reads of the download path, which must neither
    /// queue behind writers nor pay BEGIN/COMMIT round trips. The statement sees committed data only.
    func read(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow]
    func close() async
}

/// An async mutex: SQLite's single connection runs one transaction at a time.
actor AsyncLock {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        if !locked { locked = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func unlock() {
        if waiters.isEmpty { locked = false } else { waiters.removeFirst().resume() }
    }
}
