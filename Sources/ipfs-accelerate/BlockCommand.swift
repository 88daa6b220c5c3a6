import ArgumentParser
import BlockStore
import Foundation
import Multiformats

/// `ipfs-accelerate block put|get|stat`: single blocks.
struct BlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block", abstract: "Store, read or describe single blocks.",
        subcommands: [Put.self, Get.self, Stat.self])

    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "put", abstract: "Store a file as one block and print its CID (CIDv1, sha2-256).")

        @Argument(help: "File holding the block ('-' or none for stdin).")
        var file: String = "-"

        @Option(name: .customLong("cid-codec"), help: "Codec of the CID: raw (default), dag-pb, dag-cbor, dag-json.")
        var cidCodec: String = "raw"

        @Option(help: "Pin the block directly (true/false, default false).")
        var pin = false

        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                guard let codec = Multicodec(name: cidCodec) else {
                    throw ValidationError("unknown --cid-codec '\(cidCodec)': use raw, dag-pb, dag-cbor or dag-json")
                }
                let bytes = try readAll(file)
                let cid = CID.hashing(bytes, codec: codec, version: .v1)
                let store = try data.directory.openBlockStore()
                let writing = store.beginWrite()
                defer { writing.end() }
                try store.put(bytes, cid: cid)
                try store.sync()
                if pin { try data.directory.openPinStore().pin(cid, recursive: false) }
                StandardOutput.shared.line(cid.description)
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a block's raw bytes.")

        @Argument var cid: String
        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                let c = try CID(cid)
                try StandardOutput.shared.write(try data.directory.openBlockStore().get(c))
            }
        }
    }

    struct Stat: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stat", abstract: "Print a block's CID and size.")

        @Argument var cid: String
        @OptionGroup var data: DataDirOptions

        func run() throws {
            try reportingErrors {
                let c = try CID(cid)
                let bytes = try data.directory.openBlockStore().get(c)
                StandardOutput.shared.line("Key: \(c)")
                StandardOutput.shared.line("Size: \(bytes.count)")
            }
        }
    }
}
