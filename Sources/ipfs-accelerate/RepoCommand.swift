import ArgumentParser
import BlockStore
import Foundation
import HubDatabase
import Multiformats
import UnixFS

/// `ipfs-accelerate repo verify`: is the store whole? Every block is read and checked against its
/// hash, and every root something still refers to (hub commit files, LFS objects, mirror records,
/// hub pins, pins) must reach only present, intact blocks and hold the size its record says.
struct RepoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo", abstract: "Check the local store.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every block against its hash and every reference for a complete DAG; exit 1 on any problem.")

        @OptionGroup var data: DataDirOptions

        func run() async throws {
            // Same rule as gc: a hub database that exists (or HUB_DATABASE_URL) must be readable.
            var roots: [StoreRoot] = []
            var dangling: [String] = []
            let env = ProcessInfo.processInfo.environment
            let hubDB = data.directory.root.appendingPathComponent("hub.sqlite")
            if FileManager.default.fileExists(atPath: hubDB.path) || !(env["HUB_DATABASE_URL"] ?? "").isEmpty {
                do {
                    let database = try await HubSetup.openDatabase(dataDirectory: data.directory.root)
                    for r in try await database.referencedRoots() {
                        roots.append(StoreRoot(cid: r.cid, owner: r.owner, references: r.references, sizes: r.sizes, recursive: true))
                    }
                    dangling = try await database.danglingReferences()
                    await database.close()
                } catch {
                    printError("Error: cannot read the hub database: \(error)")
                    throw ExitCode(1)
                }
            }
            try reportingErrors {
                for p in try data.directory.openPinStore().list() {
                    roots.append(StoreRoot(cid: p.cid.description, owner: "pin (\(p.kind.rawValue))", references: 1,
                                           sizes: nil, recursive: p.kind == .recursive))
                }
                let report = try StoreVerifier(store: try data.directory.openBlockStore()).verify(roots: roots, dangling: dangling)
                for line in report.lines { StandardOutput.shared.line(line) }
                if !report.problems.isEmpty { throw ExitCode(1) }
            }
        }
    }
}

/// A root to check and who needs it.
struct StoreRoot {
    var cid: String
    var owner: String
    var references: Int
    var sizes: ClosedRange<Int64>?
    var recursive: Bool
}

/// The checks behind `repo verify`; the DAG walk is `DagLinks.walk`, the one gc's and pin's checks use.
struct StoreVerifier {
    let store: FlatFSBlockStore

    struct Report {
        var lines: [String] = []
        var problems: [String] = []
    }

    func verify(roots: [StoreRoot], dangling: [String] = []) throws -> Report {
        var report = Report()
        report.problems = dangling.map { "dangling reference: \($0)" }
        // 1. Every block against its hash, read once. Only multihashes are kept (a raw CIDv1 and a
        //    dag-pb CID of the same hash are one block).
        var intact = Set<Multihash>(), corrupt = Set<Multihash>()
        var bytes: UInt64 = 0
        for key in try store.allKeys() {
            do {
                bytes += UInt64(try store.get(key).count)
                intact.insert(key.multihash)
            } catch BlockStoreError.notFound {
                continue  // removed while we looked (a gc or eviction in another process)
            } catch BlockStoreError.corrupt {
                corrupt.insert(key.multihash)
            } catch {
                report.problems.append("unreadable block \(key): \(error)")
            }
        }
        // 2. Every root's DAG. Raw leaves (nearly all the bytes) were checked above; dag-pb nodes are
        //    read again to follow their links, each once across all roots.
        var nodes: [CID: [UInt8]] = [:]
        func read(_ cid: CID) throws -> [UInt8] {
            if corrupt.contains(cid.multihash) { throw BlockStoreError.corrupt(cid) }
            if !intact.contains(cid.multihash) {
                // Not there when the blocks were listed: a running server may have written it since
                // (verify is safe beside `serve`), so ask the store before calling it missing.
                let block = try store.get(cid)
                intact.insert(cid.multihash)
                bytes += UInt64(block.count)
                if cid.codec == .dagPB { nodes[cid] = block }
            }
            guard cid.codec == .dagPB else { return [] }
            if let n = nodes[cid] { return n }
            let n = try store.get(cid)
            nodes[cid] = n
            return n
        }
        var reached = Set<Multihash>()
        var bad: [CID: (error: String, owners: [String])] = [:]
        var badOrder: [CID] = []
        var incomplete = 0
        let unique = Dictionary(grouping: roots, by: \.cid)
        for cidText in unique.keys.sorted() {
            let group = unique[cidText]!
            let owner = group.map(\.owner).min()! + (group.count > 1 || group[0].references > 1
                ? " (+\(group.reduce(0) { $0 + $1.references } - 1) more)" : "")
            guard let root = try? CID(cidText) else {
                report.problems.append("invalid CID '\(cidText)' recorded for \(owner)")
                continue
            }
            var complete = true
            let note: (CID, any Error) -> Void = { cid, error in
                complete = false
                let kind: String
                switch error {
                case BlockStoreError.notFound: kind = "missing"
                case BlockStoreError.corrupt: kind = "corrupt"
                default: kind = "undecodable (\(error))"
                }
                if bad[cid] == nil { badOrder.append(cid); bad[cid] = (kind, []) }
                bad[cid]!.owners.append(owner)
            }
            if group.contains(where: \.recursive) {
                try DagLinks.walk(root, read: { cid in reached.insert(cid.multihash); return try read(cid) }, onBad: note)
            } else {
                reached.insert(root.multihash)
                do { _ = try read(root) } catch { note(root, error) }
            }
            if !complete { incomplete += 1; continue }
            // A complete DAG of another length than its record says is a half-written file.
            for sizes in Set(group.compactMap(\.sizes).map { [$0.lowerBound, $0.upperBound] }) {
                do {
                    let actual = Int64(try Exporter(store: store).fileSize(root))
                    if sizes != [actual, actual] {
                        report.problems.append("size mismatch: \(root) has \(actual) bytes, \(owner) records \(sizes.map(String.init).joined(separator: "..."))")
                    }
                } catch {
                    report.problems.append("not a file: \(root) for \(owner): \(error)")
                }
            }
        }
        for cid in badOrder {
            let (kind, owners) = bad[cid]!
            let others = Set(owners).count - 1
            report.problems.append("\(kind) block \(cid) needed by \(owners.min()!)\(others > 0 ? " and \(others) other roots" : "")")
        }
        for mh in corrupt where !reached.contains(mh) {
            report.problems.append("corrupt block \(CID(v1: .raw, multihash: mh)) (no root needs it; gc removes it)")
        }
        let unreferenced = intact.subtracting(reached).count
        report.lines.append("blocks: \(intact.count + corrupt.count) checked (\(bytes) bytes intact), \(corrupt.count) corrupt")
        report.lines.append("roots: \(unique.count) checked, \(incomplete) incomplete; \(dangling.count) dangling references")
        report.lines.append("unreferenced blocks: \(unreferenced) (gc removes them)")
        // Not visible to anyone (no key, no reference), so not a problem; reported so a crash's debris is seen.
        let temps = store.tempFiles().count
        if temps > 0 { report.lines.append("temp files of interrupted writes: \(temps) (gc removes those over an hour old)") }
        report.lines += report.problems
        report.lines.append(report.problems.isEmpty ? "verify: ok" : "verify: \(report.problems.count) problems")
        return report
    }
}
