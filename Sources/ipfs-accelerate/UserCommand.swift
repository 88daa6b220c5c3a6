import ArgumentParser
import Foundation
import HubDatabase

/// `ipfs-accelerate user add NAME [--admin]`.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage hub users.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a hub user.")

        @Argument(help: "User name (also the user's namespace).") var name: String
        @Flag(help: "Let this user administer the hub (admin API, every repo).") var admin = false
        @Option(name: .customLong("data-dir"), help: "Data directory (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
        var dataDir: String?

        func run() async throws {
            let db = try await HubSetup.openDatabase(dataDirectory: try HubSetup.dataDirectory(flag: dataDir))
            defer { Task { await db.close() } }
            do {
                let user = try await db.createUser(name: name, isAdmin: admin)
                print("created user \(user.name)\(user.isAdmin ? " (admin)" : "")")
            } catch let error as HubDatabaseError {
                throw ValidationError(error.description)
            }
        }
    }
}

/// `ipfs-accelerate token create NAME [--write]`: prints the new token alone on the last line.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage hub access tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an access token for a user.")

        @Argument(help: "The user the token acts for.") var name: String
        @Flag(help: "Allow writes to the user's namespace (default: read only).") var write = false
        @Option(help: "A label for the token.") var displayName: String = "cli"
        @Option(name: .customLong("data-dir"), help: "Data directory (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
        var dataDir: String?

        func run() async throws {
            let db = try await HubSetup.openDatabase(dataDirectory: try HubSetup.dataDirectory(flag: dataDir))
            defer { Task { await db.close() } }
            let (token, hash) = HubDatabase.newToken()
            do {
                _ = try await db.createToken(userName: name, displayName: displayName, canWrite: write, tokenSHA256: hash)
            } catch let error as HubDatabaseError {
                throw ValidationError("\(error.description); create the user first with `ipfs-accelerate user add \(name)`")
            }
            print("created \(write ? "write" : "read") token for \(name) (only its SHA-256 is stored; keep it now):")
            print(token)
        }
    }
}
