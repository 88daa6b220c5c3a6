import ArgumentParser
import BlockStore
import Foundation
import Multiformats
import UnixFS

/// `ipfs-accelerate pin add|rm|ls` and `gc`: what the store keeps.
struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Keep content in the local store (pins survive gc).",
        subcommands: [Add.self, Rm.self, Ls.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Pin CIDs (recursively by default; the whole DAG must be present).")

        @Argument var cids: [String]
        @Option(help: "Pin the whole DAG (true) or only the block (false).")
        var recursive = true
        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                let store = try data.directory.openBlockStore()
                let pins = try data.directory.openPinStore()
                for s in cids {
                    let cid = try Exporter(store: store).resolve(path: s)
                    if recursive { try DagLinks.requireComplete(cid, in: store) } else { _ = try store.get(cid) }
                    try pins.pin(cid, recursive: recursive)
                    StandardOutput.shared.line("pinned \(cid) \(recursive ? "recursively" : "directly")")
                }
            }
        }
    }

    struct Rm: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove pins (the blocks go at the next gc).")

        @Argument var cids: [String]
        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                let pins = try data.directory.openPinStore()
                for s in cids {
                    let cid = try CID(s)
                    try pins.unpin(cid)
                    StandardOutput.shared.line("unpinned \(cid)")
                }
            }
        }
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List pins: `<cid> <type>`.")

        @Option(name: [.short, .long], help: "all, recursive or direct.")
        var type = "all"
        @Flag(name: [.short, .long], help: "Print only the CIDs.")
        var quiet = false
        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                guard ["all", "recursive", "direct"].contains(type) else {
                    throw ValidationError("--type must be all, recursive or direct")
                }
                for p in try data.directory.openPinStore().list() where type == "all" || p.kind.rawValue == type {
                    StandardOutput.shared.line(quiet ? p.cid.description : "\(p.cid) \(p.kind.rawValue)")
                }
            }
        }
    }
}

/// `ipfs-accelerate gc`: delete every block that no pin and no hub file reaches.
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove every block that no pin and no hub record (commit file, LFS object, mirrored copy) reaches.")

    @Flag(name: [.short, .long], help: "Print only the count.")
    var quiet = false
    @OptionGroup var data: DataDirOptions

    func run() async throws {
        // The hub's files are not pinned (a pin makes content public on the gateway): keep every
        // CID its database refers to. A database that cannot be read stops gc before it deletes.
        // Read before the roots: a write that ends (and is recorded) after they were read began before.
        let store: FlatFSBlockStore
        do { store = try data.directory.openBlockStore() } catch { printError("Error: \(error)"); throw ExitCode(1) }
        let cutoff = store.collectionCutoff()
        var hubRoots: [CID] = []
        let hubDB = data.directory.root.appendingPathComponent("hub.sqlite")
        let env = ProcessInfo.processInfo.environment
        if FileManager.default.fileExists(atPath: hubDB.path) || !(env["HUB_DATABASE_URL"] ?? "").isEmpty {
            do {
                let database = try await HubSetup.openDatabase(dataDirectory: data.directory.root)
                let cids = try await database.referencedCIDs()
                await database.close()
                hubRoots = try cids.sorted().map { try CID($0) }
            } catch {
                printError("Error: gc stopped before deleting anything: cannot read the hub database: \(error)")
                throw ExitCode(1)
            }
        }
        try reportingErrors {
            let result = try collectGarbage(store: store, pins: try data.directory.openPinStore(),
                                            keepAlso: hubRoots, sparingWritesSince: cutoff)
            if !quiet { for c in result.removed { StandardOutput.shared.line("removed \(c)") } }
            StandardOutput.shared.line("removed \(result.removed.count) blocks, kept \(result.kept)")
            if result.spared > 0 {
                StandardOutput.shared.line("spared \(result.spared) unreferenced blocks written since \(cutoff) while a write was in flight (the next gc takes those still unreferenced)")
            }
            // A crashed writer's temp files are no block of anyone's; an hour is far past any live put.
            let temps = store.removeStaleTempFiles(olderThan: 3600)
            if temps > 0 { StandardOutput.shared.line("removed \(temps) temp files left by interrupted writes") }
        }
    }
}
