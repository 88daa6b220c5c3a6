import Foundation

// The JSON objects Kubo's RPC answers with, field names as Kubo spells them (its Go structs'
// names, capitalised). Kubo's clients (ipfshttpclient, Kubo's own CLI as a remote) read them.

/// One line of `add`: an entry and its cumulative size (a string in Kubo's output).
struct AddedEntry: Encodable {
    let Name: String
    let Hash: String
    let Size: String
}

/// `ls`: the links of each requested path.
struct LsOutput: Encodable {
    struct Object: Encodable {
        let Hash: String
        let Links: [Link]
    }
    struct Link: Encodable {
        let Name: String
        let Hash: String
        let Size: UInt64
        /// unixfs_pb's data types as Kubo numbers them: 1 directory, 2 file, 4 symlink, 0 other.
        let `Type`: Int
        let Target: String
    }
    let Objects: [Object]
}

/// `block/put` (one line per block) and `block/stat`.
struct BlockStat: Encodable {
    let Key: String
    let Size: Int
}

/// `pin/add` and `pin/rm`.
struct PinChange: Encodable {
    let Pins: [String]
}

/// `pin/ls`: every pin is recursive in this store.
struct PinList: Encodable {
    struct Pin: Encodable { let `Type`: String }
    let Keys: [String: Pin]
}

/// One line of `dag/import` per root.
struct DagImportRoot: Encodable {
    struct Root: Encodable {
        let Cid: CIDLink
        let PinErrorMsg: String
    }
    /// dag-json's link form, `{"/": cid}`.
    struct CIDLink: Encodable {
        let cid: String
        enum CodingKeys: String, CodingKey { case cid = "/" }
    }
    let Root: Root
}

struct IDOutput: Encodable {
    let ID = "", PublicKey = ""
    let Addresses: [String] = []
    let AgentVersion = "ipfs-accelerate/0.1.0 (kubo-rpc-compatible)"
    let ProtocolVersion = "ipfs/0.1.0"
    let Protocols: [String] = []
}

struct VersionOutput: Encodable {
    let Version: String
    let Commit = "ipfs-accelerate", Repo = "15", System = "amd64/linux", Golang = ""
}

/// Kubo's error body: `Code` 1 for a client's mistake, 0 for a failure of the node.
struct ErrorOutput: Encodable {
    let Message: String
    let Code: Int
    let `Type` = "error"
}
