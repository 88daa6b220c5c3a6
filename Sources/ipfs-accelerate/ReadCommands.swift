import ArgumentParser
import BlockStore
import Foundation
import Multiformats
import UnixFS

/// `ipfs-accelerate cat CID[/path]`: file bytes, whole or a range.
struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat", abstract: "Print a file's bytes (verified against their hashes).")

    @Argument(help: "CID or CID/path of a file.")
    var path: String

    @Option(name: [.short, .long], help: "Byte offset to start at.")
    var offset: UInt64 = 0

    @Option(name: [.short, .long], help: "Maximum number of bytes to print.")
    var length: UInt64?

    @OptionGroup var data: DataDirOptions

    func run() throws {
        try reportingErrors {
            let exporter = Exporter(store: try data.directory.openBlockStore())
            let cid = try exporter.resolve(path: path)
            let out = StandardOutput.shared
            try exporter.forEachChunk(cid, offset: offset, length: length) { try out.write($0) }
        }
    }
}

/// `ipfs-accelerate ls CID[/path]`: a directory's entries, Kubo style.
struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a directory: `<cid> <size> <name>` per entry (folders end in /).")

    @Argument(help: "CID or CID/path of a directory.")
    var path: String

    @OptionGroup var data: DataDirOptions

    func run() throws {
        try reportingErrors {
            let exporter = Exporter(store: try data.directory.openBlockStore())
            let cid = try exporter.resolve(path: path)
            for e in try exporter.ls(cid) {
                switch e.type {
                case .directory: StandardOutput.shared.line("\(e.cid) - \(e.name)/")
                default: StandardOutput.shared.line("\(e.cid) \(e.size) \(e.name)")
                }
            }
        }
    }
}

/// `ipfs-accelerate get CID[/path] -o PATH`: a file or tree written to disk.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Write a file or folder to disk (unsafe link names are refused).")

    @Argument(help: "CID or CID/path.")
    var path: String

    @Option(name: [.short, .long], help: "Where to write (default: the last path element in the current folder).")
    var output: String?

    @OptionGroup var data: DataDirOptions

    func run() throws {
        try reportingErrors {
            let exporter = Exporter(store: try data.directory.openBlockStore())
            let cid = try exporter.resolve(path: path)
            let dest = output ?? String(path.split(separator: "/").last ?? Substring(cid.description))
            StandardOutput.shared.line("Saving file(s) to \(dest)")
            try exporter.get(cid, to: URL(fileURLWithPath: dest))
        }
    }
}
