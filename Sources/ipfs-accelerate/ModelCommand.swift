import ArgumentParser
import Foundation
import IPFSRouter
import ModelStore

/// `ipfs-accelerate model store|retrieve`: model folders by CID.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Store a model folder by CID, or retrieve one (optionally into the Hugging Face cache).",
        subcommands: [Store.self, Retrieve.self])

    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a model folder as one UnixFS directory; prints its CID, then the manifest's CID.")

        @Argument(help: "The model folder.") var path: String
        @Option(help: "Model id, NAME or ORG/NAME.") var id: String
        @Option(name: .customLong("meta"), help: "Metadata KEY=VALUE for the manifest (repeatable).") var meta: [String] = []
        @OptionGroup var options: RouterOptions

        func run() async throws {
            let store = ModelStore(router: try options.makeRouter(), backend: options.backend)
            var metadata: [String: String] = [:]
            for m in meta {
                guard let eq = m.firstIndex(of: "="), eq != m.startIndex else { throw ValidationError("--meta wants KEY=VALUE, got '\(m)'") }
                metadata[String(m[..<eq])] = String(m[m.index(after: eq)...])
            }
            do {
                let stored = try await store.addModelWithStorage(metadata: metadata, modelPath: path, modelID: id)
                stored.receipts.forEach(options.show)
                print(stored.rootCID)
                print("manifest \(stored.manifestCID)")
            } catch { throw options.fail(error) }
        }
    }

    struct Retrieve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the model stored under CID to a folder, byte for byte.")

        @Argument(help: "The model folder's CID (or its manifest's CID).") var cid: String
        @Option(name: .shortAndLong, help: "Where to write the folder (default with --hf-cache: a temporary folder).") var output: String?
        @Flag(name: .customLong("hf-cache"), help: "Also place it in the Hugging Face cache ($HF_HOME/hub/models--ORG--NAME) so huggingface_hub finds it offline.")
        var hfCache = false
        @Option(help: "Model id for --hf-cache (NAME or ORG/NAME).") var id: String?
        @Option(help: "Revision (40 hex) for --hf-cache; default: derived from the CID.") var revision: String?
        @OptionGroup var options: RouterOptions

        func run() async throws {
            let router = try options.makeRouter()
            let store = ModelStore(router: router, backend: options.backend)
            if hfCache && id == nil { throw ValidationError("--hf-cache needs --id ORG/NAME") }
            guard let out = output ?? (hfCache ? NSTemporaryDirectory() + "ipfs-accelerate-retrieve-\(UUID().uuidString)" : nil) else {
                throw ValidationError("give -o PATH (or --hf-cache --id ORG/NAME)")
            }
            do {
                var root = cid
                var manifest: ModelManifest?
                // A manifest CID names a small JSON file: follow it to the folder and check every file.
                if let m = try? await store.manifest(cid: cid) { manifest = m; root = m.rootCID }
                let got = try await store.retrieveModel(cid: root, outputPath: out, modelID: id)
                options.show(got.receipt)
                if let manifest { try ModelStore.verify(path: out, against: manifest) }
                if output != nil { print(out) }
                if hfCache, let id {
                    let placement = HFCachePlacement(hfHome: router.settings.hfHome)
                    let snapshot = try placement.place(folder: out, modelID: id, revision: revision ?? HFCachePlacement.revision(forCID: root))
                    print(snapshot)
                    if output == nil { try? FileManager.default.removeItem(atPath: out) }
                }
            } catch { throw options.fail(error) }
        }
    }
}
