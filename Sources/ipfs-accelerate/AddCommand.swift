import ArgumentParser
import BlockStore
import Foundation
import Multiformats
import UnixFS

/// `ipfs-accelerate add`: files and folders into the store, CIDs identical to `ipfs add`.
struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add files or folders to the local store and print their CIDs (like `ipfs add`).")

    @Argument(help: "Files or folders to add (stdin when none).")
    var paths: [String] = []

    @Flag(name: [.short, .long], help: "Add folders recursively.")
    var recursive = false

    @Flag(name: [.short, .customLong("wrap-with-directory")], help: "Wrap what is added in a directory.")
    var wrap = false

    @Flag(name: [.customShort("q"), .long], help: "Print only the CIDs.")
    var quiet = false

    @Flag(name: [.customShort("Q"), .long], help: "Print only the final root CID.")
    var quieter = false

    @Flag(name: [.customShort("n"), .customLong("only-hash")], help: "Only compute the CIDs; store nothing.")
    var onlyHash = false

    @Option(name: .customLong("cid-version"), help: "CID version (0 or 1; 1 implies --raw-leaves).")
    var cidVersion: Int?

    @Option(name: .customLong("raw-leaves"), help: "Use raw blocks for file chunks (true/false).")
    var rawLeaves: Bool?

    @Option(help: "Chunking: size-N (default size-262144).")
    var chunker: String?

    @Option(name: .customLong("max-file-links"), help: "Maximum links per file node (default 174).")
    var maxFileLinks: Int?

    @Option(help: "Import profile: unixfs-v0-2015 (default) or unixfs-v1-2025.")
    var profile: String?

    @Flag(name: [.customShort("H"), .long], help: "Include files whose names start with '.'.")
    var hidden = false

    @Option(help: "Pin what is added (true/false, default true).")
    var pin = true

    @OptionGroup var data: DataDirOptions

    func importOptions() throws -> ImportOptions {
        var o = try profile.map { try ImportOptions.profile(named: $0) } ?? .unixfsV0_2015
        if let v = cidVersion {
            guard v == 0 || v == 1 else { throw ValidationError("--cid-version must be 0 or 1, got \(v)") }
            o.cidVersion = v == 0 ? .v0 : .v1
        }
        o.rawLeaves = rawLeaves ?? cidVersion.map { $0 == 1 } ?? o.rawLeaves
        if let c = chunker { o.chunkSize = try ImportOptions.parseChunker(c) }
        if let m = maxFileLinks { o.maxLinks = m }
        o.hidden = hidden
        o.wrapWithDirectory = wrap
        try o.validate()
        return o
    }

    func run() throws {
        try reportingErrors {
            let options = try importOptions()
            let dir = data.directory
            let store: any BlockStoring = onlyHash ? NullBlockStore() : try dir.openBlockStore()
            let writing = store.beginWrite()   // a gc meanwhile spares the blocks until they are pinned
            defer { writing.end() }
            var importer = Importer(options: options, store: store)
            let bar = ProgressBar(total: paths.reduce(0) { $0 + totalSize($1) })
            importer.progress = { bar.update($0) }

            var entries: [AddedEntry] = []
            var roots: [CID] = []
            if paths.isEmpty {
                let node = try importer.addBytes([UInt8](FileHandle.standardInput.readDataToEndOfFile()))
                entries = [AddedEntry(path: node.cid.description, cid: node.cid, size: node.tsize, isDirectory: false)]
                roots = [node.cid]
            } else if wrap {
                entries = try importer.addPaths(paths.map { URL(fileURLWithPath: $0) }, recursive: recursive)
                roots = [entries.last!.cid]
            } else {
                for p in paths {
                    let e = try importer.addPath(URL(fileURLWithPath: p), recursive: recursive)
                    entries += e
                    roots.append(e.last!.cid)
                }
            }
            bar.finish()
            if pin && !onlyHash { try dir.openPinStore().pin(roots, recursive: true) }

            let out = StandardOutput.shared
            if quieter {
                out.line(roots.last!.description)
            } else {
                for e in entries { out.line(quiet ? e.cid.description : "added \(e.cid) \(e.path)") }
            }
        }
    }
}
