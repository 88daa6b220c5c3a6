import ArgumentParser
import Foundation
import Inference

/// `ipfs-accelerate embed`: sentence embeddings from a local model folder, printed as JSON.
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts with a sentence-embedding model and print the vectors as JSON.",
        discussion: """
            Prints one JSON array per text inside a JSON array, in the order given, e.g.
              ipfs-accelerate embed --model ./all-MiniLM-L6-v2 "A man is eating food." "A man is riding a horse."
            The model is a folder holding config.json, model.safetensors and tokenizer.json (or vocab.txt).
            """)

    @Option(help: "Model: a folder (BERT sentence-transformers, e.g. all-MiniLM-L6-v2), a CID (ipfs://CID) in the data directory's store, or a public hub repo id (org/name).")
    var model: String

    @Option(name: .customLong("data-dir"), help: "Data directory for CIDs and hub repo ids (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
    var dataDir: String?

    @Argument(help: "Texts to embed.")
    var texts: [String]

    func validate() throws {
        if texts.isEmpty { throw ValidationError("give at least one TEXT to embed") }
    }

    func run() async throws {
        let url = try await ModelReference.resolve(model, dataDir: dataDir)
        guard case .embedding(let embedder) = try ModelLoader.load(path: url, id: nil) else {
            throw ValidationError("\(model) is a text-generation model; use `ipfs-accelerate generate`")
        }
        let vectors = try embedder.embed(texts)
        var out = "[\n"
        for (i, vector) in vectors.enumerated() {
            out += "  [" + vector.map { "\($0)" }.joined(separator: ", ") + "]"
            out += i + 1 < vectors.count ? ",\n" : "\n"
        }
        out += "]\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
