import Foundation
import Logging
import PostgresNIO

/// PostgreSQL through postgres-nio's pooled client; several hub instances may share one database.
final class PostgresExecutor: SQLExecutor {
    let rowLockClause = " FOR UPDATE"
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger

    /// `url`: `postgres://user[:password]@host[:port]/database`.
    init(url: String, logger: Logger = Logger(label: "ipfs-accelerate.hubdb")) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme,
              scheme == "postgres" || scheme == "postgresql", let host = parts.host, !host.isEmpty else {
            throw HubDatabaseError.invalidConfiguration("expected postgres://user:password@host:port/database, got '\(url)'")
        }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        let config = PostgresClient.Configuration(
            host: host, port: parts.port ?? 5432,
            username: parts.user?.removingPercentEncoding ?? "postgres",
            password: parts.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database,
            tls: .disable)
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.runTask = Task { await client.run() }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresTransaction(connection: connection, logger: logger))
            }
        } catch let error as HubDatabaseError {
            throw error
        } catch let error as PostgresTransactionError {
            if let e = error.closureError as? HubDatabaseError { throw e }
            if let e = error.closureError { throw HubDatabaseError.backend(String(reflecting: e)) }
            throw HubDatabaseError.backend(String(reflecting: error))
        } catch {
            throw HubDatabaseError.backend(String(reflecting: error))
        }
    }

    func read(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow] {
        do {
            let rows = try await client.query(PostgresTransaction.query(sql, args), logger: logger)
            return try await PostgresTransaction.decode(rows)
        } catch let error as HubDatabaseError {
            throw error
        } catch {
            throw HubDatabaseError.backend(String(reflecting: error))
        }
    }

    func readNow(_ sql: String, _ args: [SQLValue]) throws -> [SQLRow] {
        throw HubDatabaseError.invalidConfiguration("PostgreSQL cannot be read synchronously; use read")
    }

    /// Several hub instances may start at once: an advisory lock held to the end of the
    /// transaction makes them migrate one after another, each seeing what the previous one recorded.
    func migrate() async throws {
        try await transaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(7261001)")
            try await tx.execute(Schema.migrationsTable(.postgres))
            let applied = Set(try await tx.query("SELECT version FROM schema_migrations", []).map { try $0.int("version") })
            for migration in Schema.pending(.postgres, applied: applied) {
                for statement in migration.statements { try await tx.execute(statement) }
                try await tx.execute("INSERT INTO schema_migrations (version) VALUES (?)", [.int(migration.version)])
            }
        }
    }

    func close() async {
        runTask.cancel()
    }
}

struct PostgresTransaction: SQLTransaction {
    let connection: PostgresConnection
    let logger: Logger

    func query(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow] {
        try await Self.decode(try await connection.query(Self.query(sql, args), logger: logger))
    }

    static func query(_ sql: String, _ args: [SQLValue]) -> PostgresQuery {
        var bindings = PostgresBindings()
        for arg in args {
            switch arg {
            case .int(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: numbered(sql), binds: bindings)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [SQLRow] {
        var out: [SQLRow] = []
        var columns: [String]?
        for try await row in rows {
            var values: [SQLValue] = []
            if columns == nil { columns = row.map(\.columnName) }
            for cell in row {
                if cell.bytes == nil {
                    values.append(.null)
                } else if cell.dataType == .int8 || cell.dataType == .int4 || cell.dataType == .int2 {
                    values.append(.int(try cell.decode(Int64.self)))
                } else if cell.dataType == .numeric {
                    // SUM over BIGINT is NUMERIC; the hub's sums are whole numbers that fit 64 bits.
                    let text = try cell.decode(String.self)
                    guard let v = Int64(text) else {
                        throw HubDatabaseError.backend("column '\(cell.columnName)' holds \(text), not a 64-bit integer")
                    }
                    values.append(.int(v))
                } else {
                    values.append(.text(try cell.decode(String.self)))
                }
            }
            out.append(SQLRow(columns: columns ?? [], values: values))
        }
        return out
    }

    /// Rewrites `?` placeholders as `$1, $2, ...` (the hub's statements hold no literal `?`).
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        for ch in sql {
            if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }
}
