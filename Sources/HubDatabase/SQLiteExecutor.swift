import Foundation
import GRDB

/// SQLite through GRDB: one connection, transactions serialised by an async lock so a transaction
/// body may await between statements.
final class SQLiteExecutor: SQLExecutor {
    let integerType = "INTEGER"
    let migrationLockSQL: String? = nil
    private let queue: DatabaseQueue
    private let lock = AsyncLock()

    init(path: String) throws {
        var config = Configuration()
        // Transactions span several accesses (BEGIN, statements, COMMIT) under `lock`.
        config.allowsUnsafeTransactions = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        } catch {
            throw HubDatabaseError.invalidConfiguration("cannot open SQLite database at \(path): \(error)")
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        await lock.lock()
        do {
            try await queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            let tx = SQLiteTransaction(queue: queue)
            do {
                let result = try await body(tx)
                try await queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
                await lock.unlock()
                return result
            } catch {
                try? await queue.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
                throw error
            }
        } catch {
            await lock.unlock()
            if let e = error as? HubDatabaseError { throw e }
            if let e = error as? DatabaseError { throw HubDatabaseError.backend(e.description) }
            throw error
        }
    }

    func close() async {
        try? queue.close()
    }
}

struct SQLiteTransaction: SQLTransaction {
    let queue: DatabaseQueue

    func query(_ sql: String, _ args: [SQLValue]) async throws -> [SQLRow] {
        try await queue.writeWithoutTransaction { db in
            let arguments = StatementArguments(args.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .int(let v): return v
                case .text(let v): return v
                case .null: return nil
                }
            })
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(arguments)
            var out: [SQLRow] = []
            let cursor = try Row.fetchCursor(statement)
            while let row = try cursor.next() {
                var values: SQLRow = []
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
                out.append(values)
            }
            return out
        }
    }
}
