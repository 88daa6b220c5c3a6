import ArgumentParser
import BlockStore
import Foundation
import Multiformats
import UnixFS

/// `ipfs-accelerate dag export|import`: CAR v1 in and out.
struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag", abstract: "Export and import DAGs as CAR v1.",
        subcommands: [Export.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the DAG under a CID to stdout as CAR v1.")

        @Argument var cid: String
        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                let store = try data.directory.openBlockStore()
                let root = try Exporter(store: store).resolve(path: cid)
                let out = StandardOutput.shared
                try CARWriter(store: store).export(root: root) { try out.write($0) }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Import CAR files (every block verified) and pin their roots.")

        @Argument(help: "CAR files ('-' for stdin).")
        var files: [String] = ["-"]
        @Option(name: .customLong("pin-roots"), help: "Pin the roots (true/false, default true).")
        var pinRoots = true
        @Flag(help: "Print the number of blocks imported.")
        var stats = false
        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                let store = try data.directory.openBlockStore()
                let writing = store.beginWrite()
                defer { writing.end() }
                var roots: [CID] = []
                var blocks = 0
                for f in files {
                    let handle: FileHandle
                    if f == "-" { handle = .standardInput } else {
                        guard let h = FileHandle(forReadingAtPath: f) else { throw ValidationError("cannot open \(f)") }
                        handle = h
                    }
                    let result = try importCAR(CARReader(fileHandle: handle), into: store)
                    roots += result.roots
                    blocks += result.blockCount
                }
                if pinRoots {
                    for r in roots { try DagLinks.requireComplete(r, in: store) }
                    try data.directory.openPinStore().pin(roots, recursive: true)
                    for r in roots { StandardOutput.shared.line("Pinned root\t\(r)\tsuccess") }
                }
                if stats { StandardOutput.shared.line("Imported \(blocks) blocks") }
            }
        }
    }
}
