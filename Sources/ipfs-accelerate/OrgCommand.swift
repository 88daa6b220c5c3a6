import ArgumentParser
import Foundation
import HubDatabase

/// `ipfs-accelerate org add|member|list|delete`: organisations, namespaces shared by their members.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Manage hub organisations and their members.",
        subcommands: [Add.self, Member.self, List.self, Delete.self])

    /// The options every subcommand shares.
    struct Storage: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "Data directory (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
        var dataDir: String?

        func open() async throws -> HubDatabase {
            try await HubSetup.openDatabase(dataDirectory: try HubSetup.dataDirectory(flag: dataDir))
        }
    }

    /// Runs `body` on the database, closing it after and turning database refusals into usage errors.
    static func withDatabase(_ storage: Storage, hint: (HubDatabaseError) -> String = { _ in "" },
                             _ body: (HubDatabase) async throws -> Void) async throws {
        let db = try await storage.open()
        do {
            try await body(db)
            await db.close()
        } catch let error as HubDatabaseError {
            await db.close()
            throw ValidationError(error.description + hint(error))
        } catch let error as OrgNotEmptyError {
            await db.close()
            throw ValidationError(error.description)
        } catch {
            await db.close()
            throw error
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create an organisation.")

        @Argument(help: "Organisation name (its namespace; no user may have it).") var name: String
        @Option(help: "Display name shown by whoami (default: the name).") var fullname: String?
        @OptionGroup var storage: Storage

        func validate() throws {
            // The hub's namespace rule, so that the org is usable in repo ids (`NAME/repo`).
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
            guard !name.isEmpty, name.count <= 96, !name.hasPrefix("."), !name.hasPrefix("-"), !name.contains(".."),
                  !name.hasSuffix(".git"), name.unicodeScalars.allSatisfy(allowed.contains) else {
                throw ValidationError("Invalid organisation name '\(name)': use letters, digits, '-', '_' and '.'")
            }
        }

        func run() async throws {
            try await OrgCommand.withDatabase(storage) { db in
                let org = try await db.createOrg(name: name, fullname: fullname)
                print("created organisation \(org.name)\(org.fullname != org.name ? " (\(org.fullname))" : "")")
            }
        }
    }

    struct Member: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "member", abstract: "Add a member to an organisation, change their role, or remove them.",
            discussion: "Roles: read (read private repos), write (also create repos and commit), admin (also delete and move repos, manage members).")

        @Argument(help: "The organisation.") var org: String
        @Argument(help: "The user.") var user: String
        @Option(help: "The member's role: read, write or admin.") var role: OrgRole?
        @Flag(help: "Remove the user from the organisation.") var remove = false
        @OptionGroup var storage: Storage

        func validate() throws {
            if remove && role != nil { throw ValidationError("Give either --role or --remove, not both") }
            if !remove && role == nil { throw ValidationError("Give the member's --role (read, write or admin), or --remove") }
        }

        /// Points at the command that makes whatever was missing.
        func hint(_ error: HubDatabaseError) -> String {
            guard !remove, case .notFound(let what) = error else { return "" }
            return what.hasPrefix("user") ? "; create it first with `ipfs-accelerate user add \(user)`"
                : "; create it first with `ipfs-accelerate org add \(org)`"
        }

        func run() async throws {
            try await OrgCommand.withDatabase(storage, hint: hint) { db in
                if remove {
                    try await db.removeOrgMember(orgName: org, userName: user)
                    print("removed \(user) from \(org)")
                } else if let role {
                    try await db.setOrgMember(orgName: org, userName: user, role: role)
                    print("\(user) is now \(role.rawValue) in \(org)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List organisations and their members.")

        @OptionGroup var storage: Storage

        func run() async throws {
            try await OrgCommand.withDatabase(storage) { db in
                for org in try await db.orgs() {
                    let members = try await db.orgMembers(orgName: org.name)
                    let list = members.map { "\($0.userName):\($0.role.rawValue)" }.joined(separator: " ")
                    print("\(org.name)\t\(org.fullname)\t\(list.isEmpty ? "(no members)" : list)")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete", abstract: "Delete an organisation that owns no repos (its memberships go with it).")

        @Argument(help: "The organisation.") var name: String
        @OptionGroup var storage: Storage

        func run() async throws {
            try await OrgCommand.withDatabase(storage) { db in
                try await db.deleteOrg(name: name)
                print("deleted organisation \(name)")
            }
        }
    }
}

extension OrgRole: ExpressibleByArgument {}
