import Foundation
import Primitives
import GRDB

/// SQLite through GRDB in WAL mode: one writer connection whose transactions are serialised by an
/// async lock (so a transaction body may await between statements), and a pool of reader
/// connections for the single-statement reads of the download path, which never wait for a writer.
final class SQLiteExecutor: SQLExecutor {
    let rowLockClause = ""
    private let pool: DatabasePool
    /// SQLite's one writer connection runs one transaction at a time, callers in arrival order.
    private let lock = AsyncSemaphore(1)

    init(path: String) throws {
        var config = Configuration()
        // Transactions span several accesses (BEGIN, statements, COMMIT) under `lock`.
        config.allowsUnsafeTransactions = true
        // Another process on the same file (a CLI command beside `serve`) holds the write lock for one
        // transaction at a time, but back to back; SQLite's busy handler polls, so a waiter can lose
        // several rounds in a row. Waiting up to a minute beats failing a commit.
        config.busyMode = .timeout(60)
        config.maximumReaderCount = 4
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            // A pool opens the file in WAL mode; NORMAL keeps commits durable at checkpoints
            // without an fsync per transaction.
            pool = try DatabasePool(path: path, configuration: config)
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        } catch {
            throw HubDatabaseError.invalidConfiguration("cannot open SQLite database at \(path): \(error)")
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        // A caller cancelled while waiting leaves before BEGIN: nothing to roll back.
        do { try await lock.acquire() } catch { throw Self.mapped(error) }
        do {
            // Waiting for another connection's write lock (another process, or another handle here)
            // is SQLite's busy handler sleeping on the thread: off the cooperative pool, or waiters
            // there could fill it and keep the lock's holder from resuming to COMMIT.
            try await runBlocking { try self.control("BEGIN IMMEDIATE") }
            let tx = SQLiteTransaction(pool: pool)
            do {
                let result = try await body(tx)
                try control("COMMIT")
                await lock.release()
                return result
            } catch {
                // Must run even in a cancelled task: GRDB's async calls would refuse with CancellationError
                // and leave the transaction open for the next caller ("cannot start a transaction within a transaction").
                do { try control("ROLLBACK") } catch { _ = try? control("ROLLBACK") }
                throw error
            }
        } catch {
            await lock.release()
            throw Self.mapped(error)
        }
    }

    /// Runs on the calling thread: an indexed lookup on a reader connection takes tens of microseconds,
    /// less than the two thread wake-ups that a hop to GRDB's queue and back would cost per request.
    /// WAL readers never wait for the writer, so the caller blocks only for the query itself.
    func read(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow] {
        try readNow(sql, args)
    }

    func readNow(_ sql: String, _ args: [SQLValue]) throws -> [SQLRow] {
        do {
            // One statement is atomic by itself: no BEGIN/COMMIT around it (GRDB's `read` would add them).
            return try pool.unsafeRead { db in try Self.run(db, sql, args) }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Synchronous, so that an SQLite database can be opened where the caller cannot await (see
    /// `HubDatabase.sqliteNow`). It runs at open, before anyone else uses this executor, so it need
    /// not take `lock`; BEGIN IMMEDIATE excludes other processes migrating the same file.
    func migrate() throws {
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try db.execute(sql: Schema.migrationsTable(.sqlite))
                    let applied = Set(try Int64.fetchAll(db, sql: "SELECT version FROM schema_migrations"))
                    for migration in Schema.pending(.sqlite, applied: applied) {
                        for statement in migration.statements { try db.execute(sql: statement) }
                        try db.execute(sql: "INSERT INTO schema_migrations (version) VALUES (?)", arguments: [migration.version])
                    }
                    return .commit
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// BEGIN, COMMIT and ROLLBACK through GRDB's synchronous API, which does not look at task
    /// cancellation: a transaction is always closed by the task that opened it.
    private func control(_ statement: String) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: statement) }
    }

    func close() async {
        try? pool.close()
    }

    static func mapped(_ error: any Error) -> any Error {
        if let e = error as? HubDatabaseError { return e }
        if let e = error as? DatabaseError { return HubDatabaseError.backend(e.description) }
        return error
    }

    /// Runs one statement through the connection's statement cache (prepared once per connection).
    static func run(_ db: Database, _ sql: String, _ args: [SQLValue]) throws -> [SQLRow] {
        let arguments = StatementArguments(args.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .int(let v): return v
            case .text(let v): return v
            case .null: return nil
            }
        })
        let statement = try db.cachedStatement(sql: sql)
        try statement.setArguments(arguments)
        let columns = statement.columnNames
        var out: [SQLRow] = []
        let cursor = try Row.fetchCursor(statement)
        while let row = try cursor.next() {
            var values: [SQLValue] = []
            values.reserveCapacity(row.count)
            for i in 0..<row.count {
                let dbValue: DatabaseValue = row[i]
                switch dbValue.storage {
                case .int64(let v): values.append(.int(v))
                case .string(let v): values.append(.text(v))
                case .double(let v): values.append(.int(Int64(v)))
                case .blob(let d): values.append(.text(String(decoding: d, as: UTF8.self)))
                case .null: values.append(.null)
                }
            }
            out.append(SQLRow(columns: columns, values: values))
        }
        return out
    }
}

struct SQLiteTransaction: SQLTransaction {
    let pool: DatabasePool

    func query(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow] {
        try await pool.writeWithoutTransaction { db in try SQLiteExecutor.run(db, sql, args) }
    }
}
