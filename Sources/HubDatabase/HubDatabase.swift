import Crypto
import Foundation
import Primitives
import Logging

/// The hub's metadata: users, tokens, repos, refs, commits with their file lists, LFS objects,
/// discussions and pins. One implementation of the statements over an `SQLExecutor`, so SQLite
/// (default, a file beside the block store) and PostgreSQL (several hub instances) behave alike.
public final class HubDatabase: Sendable {
    let sql: any SQLExecutor

    init(executor: any SQLExecutor) { self.sql = executor }

    /// Opens (creating if needed) an SQLite database file and brings its schema up to date.
    public static func sqlite(path: String) async throws -> HubDatabase {
        try sqliteNow(path: path)
    }

    /// `sqlite(path:)` for a caller that cannot await (the model server's initialiser). Opening and
    /// migrating an SQLite file are synchronous anyway: GRDB's open blocks, and so does waiting for
    /// another process's write lock.
    package static func sqliteNow(path: String) throws -> HubDatabase {
        let executor = try SQLiteExecutor(path: path)
        try executor.migrate()
        return HubDatabase(executor: executor)
    }

    /// Connects to PostgreSQL (`postgres://user:password@host:port/db`) and brings its schema up to date.
    public static func postgres(url: String, logger: Logger = Logger(label: "ipfs-accelerate.hubdb")) async throws -> HubDatabase {
        let db = HubDatabase(executor: try PostgresExecutor(url: url, logger: logger))
        try await db.sql.migrate()
        return db
    }

    public func close() async { await sql.close() }

    /// One trivial query: throws when the database cannot be reached (readiness checks).
    public func ping() async throws {
        _ = try await sql.read("SELECT 1", [])
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    // MARK: users and tokens

    public func createUser(name: String, isAdmin: Bool) async throws -> UserRecord {
        let user = UserRecord(name: name, isAdmin: isAdmin, createdAt: Self.now())
        try await sql.transaction { tx in
            if try await tx.one("SELECT name FROM users WHERE name = ?", [.text(name)]) != nil {
                throw HubDatabaseError.alreadyExists("user '\(name)'")
            }
            // Users and organisations share namespaces (HubDatabase+Orgs.swift).
            if try await tx.one("SELECT name FROM orgs WHERE name = ?", [.text(name)]) != nil {
                throw HubDatabaseError.alreadyExists("an organisation named '\(name)'")
            }
            try await tx.execute("INSERT INTO users (name, is_admin, created_at) VALUES (?, ?, ?)",
                                 [.text(name), SQLValue(isAdmin), .int(user.createdAt)])
        }
        return user
    }

    public func user(named name: String) async throws -> UserRecord? {
        try await sql.transaction { tx in
            try await tx.one("SELECT name, is_admin, created_at FROM users WHERE name = ?", [.text(name)]).map(Self.user)
        }
    }

    public func users() async throws -> [UserRecord] {
        try await sql.transaction { tx in
            try await tx.query("SELECT name, is_admin, created_at FROM users ORDER BY name", []).map(Self.user)
        }
    }

    public func deleteUser(name: String) async throws {
        try await sql.transaction { tx in
            guard try await tx.one("DELETE FROM users WHERE name = ? RETURNING name", [.text(name)]) != nil else {
                throw HubDatabaseError.notFound("user '\(name)'")
            }
        }
    }

    static func user(_ row: SQLRow) throws -> UserRecord {
        UserRecord(name: try row.text("name"), isAdmin: try row.bool("is_admin"), createdAt: try row.int("created_at"))
    }

    /// Stores a token's SHA-256 (never the token itself).
    public func createToken(userName: String, displayName: String, canWrite: Bool, tokenSHA256: String) async throws -> TokenRecord {
        let record = TokenRecord(id: UUID().uuidString.lowercased(), userName: userName, displayName: displayName,
                                 canWrite: canWrite, createdAt: Self.now())
        try await sql.transaction { tx in
            guard try await tx.one("SELECT name FROM users WHERE name = ?", [.text(userName)]) != nil else {
                throw HubDatabaseError.notFound("user '\(userName)'")
            }
            try await tx.execute("""
                INSERT INTO tokens (id, hash, user_name, display_name, can_write, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, [.text(record.id), .text(tokenSHA256), .text(userName), .text(displayName), SQLValue(canWrite), .int(record.createdAt)])
        }
        return record
    }

    /// The token with this SHA-256 and its user, if any.
    public func token(sha256: String) async throws -> (TokenRecord, UserRecord)? {
        guard let row = try await sql.read("""
            SELECT t.id, t.user_name, t.display_name, t.can_write, t.created_at, u.is_admin AS user_is_admin,
              u.created_at AS user_created_at
            FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.hash = ?
            """, [.text(sha256)]).first else { return nil }
        let user = UserRecord(name: try row.text("user_name"), isAdmin: try row.bool("user_is_admin"),
                              createdAt: try row.int("user_created_at"))
        return (try Self.token(row), user)
    }

    public func tokens(userName: String) async throws -> [TokenRecord] {
        try await sql.transaction { tx in
            try await tx.query("""
                SELECT id, user_name, display_name, can_write, created_at FROM tokens WHERE user_name = ? ORDER BY created_at, id
                """, [.text(userName)]).map(Self.token)
        }
    }

    public func deleteToken(id: String) async throws {
        try await sql.transaction { tx in
            guard try await tx.one("DELETE FROM tokens WHERE id = ? RETURNING id", [.text(id)]) != nil else {
                throw HubDatabaseError.notFound("token '\(id)'")
            }
        }
    }

    static func token(_ row: SQLRow) throws -> TokenRecord {
        TokenRecord(id: try row.text("id"), userName: try row.text("user_name"), displayName: try row.text("display_name"),
                    canWrite: try row.bool("can_write"), createdAt: try row.int("created_at"))
    }

    /// A new access token (`hf_` + 34 random letters and digits) and the SHA-256 hex the database keeps.
    public static func newToken() -> (token: String, sha256: String) {
        let token = "hf_" + randomLettersAndDigits(34)
        return (token, tokenSHA256(token))
    }

    /// `count` letters and digits, each uniform over the 62 (rejection sampling, no modulo bias);
    /// the one generator for hub tokens and model-server keys.
    public static func randomLettersAndDigits(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
    }

    public static func tokenSHA256(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
}
