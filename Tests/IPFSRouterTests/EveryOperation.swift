import BlockStore
import Foundation
import IPFSRouter
import Testing

/// Runs every operation of the backend protocol on `b` and checks each against Kubo's ground
/// truth (CIDs from shared/vectors) or against the input bytes.
func exerciseEveryOperation(_ b: any IPFSBackend, inputs: URL) async throws {
    let hello = Data("Hello, IPFS!".utf8)
    let mod251 = try Data(contentsOf: inputs.appendingPathComponent("mod251_1MiB.bin"))
    let dir = inputs.appendingPathComponent("dir").path

    // add_bytes / add_path: the same CIDs as `ipfs add`.
    #expect(try await b.addBytes(hello, pin: true) == Vectors.file("hello.txt", "cidv0_kubo"))
    let cases: [(String, String, AddOptions)] = [
        ("empty.bin", "cidv0_kubo", .kuboDefault),
        ("a262145.bin", "cidv0_kubo", .kuboDefault),
        ("mod251_1MiB.bin", "cidv0_kubo", .kuboDefault),
        ("mod251_1MiB.bin", "cidv1_rawleaves", AddOptions(cidVersion: 1)),
        ("hello.txt", "cidv1_no_rawleaves", AddOptions(cidVersion: 1, rawLeaves: false)),
        ("hello.txt", "wrap_w_v0", AddOptions(wrapWithDirectory: true)),
    ]
    for (name, key, options) in cases {
        let got = try await b.addPath(inputs.appendingPathComponent(name).path, recursive: false, pin: true, options: options)
        #expect(got == Vectors.file(name, key), "\(name) \(key)")
    }
    let dirCID = try await b.addPath(dir, recursive: true, pin: true, options: .kuboDefault)
    #expect(dirCID == Vectors.dir("cidv0"))
    #expect(try await b.addPath(dir, recursive: true, pin: false, options: AddOptions(cidVersion: 1)) == Vectors.dir("cidv1_rawleaves"))

    // cat, whole and ranged (across a chunk boundary).
    let modCID = Vectors.file("mod251_1MiB.bin", "cidv0_kubo")
    #expect(try await b.cat(modCID) == mod251)
    let ranged = try await Data.collect(try await b.catStream(modCID, range: ByteRange(offset: 262_140, length: 10)))
    #expect(ranged == mod251.subdata(in: 262_140 ..< 262_150))
    #expect(try await Data.collect(try await b.catStream(modCID, range: nil)) == mod251)

    // ls: names, kinds and the sub-folder's CID as Kubo has them.
    let entries = try await b.ls(dirCID)
    #expect(entries.map(\.name) == ["a.txt", "empty.txt", "sub"])
    #expect(entries.map(\.kind) == [.file, .file, .directory])
    #expect(entries.last?.cid == Vectors.dir("sub_v0"))
    #expect(entries.first?.size == 1)

    // get_to_path: a folder and a file come back byte for byte.
    let out = try tempDir("get")
    try await b.getToPath(dirCID, outputPath: out.appendingPathComponent("dir").path)
    #expect(try tree(out.appendingPathComponent("dir").path) == (try tree(dir)))
    try await b.getToPath(modCID, outputPath: out.appendingPathComponent("mod.bin").path)
    #expect(try Data(contentsOf: out.appendingPathComponent("mod.bin")) == mod251)

    // block_put / block_get: CIDv1 raw as `ipfs block put`.
    let blockCID = try await b.blockPut(hello, codec: "raw")
    #expect(blockCID == ((Vectors.json["block_put"] as? [String: String])?["hello.txt"] ?? "missing"))
    #expect(try await b.blockGet(blockCID) == hello)

    // pin / unpin / pins.
    try await b.pin(dirCID)
    #expect(try await b.pins().contains(dirCID))
    try await b.unpin(dirCID)
    #expect(!(try await b.pins().contains(dirCID)))
    try await b.pin(dirCID)

    // dag_export then dag_import into an empty store: the DAG arrives whole.
    let car = try await Data.collect(try await b.dagExport(dirCID))
    let fresh = try localBackend("import")
    #expect(try await fresh.dagImport(car) == [dirCID])
    let back = try tempDir("car")
    try await fresh.getToPath(dirCID, outputPath: back.appendingPathComponent("d").path)
    #expect(try tree(back.appendingPathComponent("d").path) == (try tree(dir)))
    #expect(try await b.dagImport(car) == [dirCID])

    // Content that is not there is "not found", not a failure.
    let absent = "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"  // a valid CID this test never stores
    await #expect { try await b.cat(absent) } throws: { isNotFound($0) }
}
