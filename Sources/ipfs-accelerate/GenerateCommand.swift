import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
let RUSAGE_SELF_WHO = RUSAGE_SELF.rawValue
#else
import Darwin
let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif
import Inference

/// `ipfs-accelerate generate`: runs a GGUF causal language model and streams tokens to stdout.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a local GGUF model, streaming tokens as they are made.")

    @Option(name: .long, help: "Model: a .gguf file (or a folder holding one), a Hugging Face causal-LM folder (safetensors), a CID (ipfs://CID) in the data directory's store, or a public hub repo id (org/name).")
    var model: String

    @Option(name: .customLong("data-dir"), help: "Data directory for CIDs and hub repo ids (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
    var dataDir: String?

    @Flag(name: .long, help: "Treat PROMPT as a user chat message and render the model's chat template.")
    var chat = false

    @Option(name: .long, help: "Largest number of tokens to generate.")
    var maxTokens = 128

    @Option(name: .long, help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(name: .long, help: "Nucleus sampling cut-off in (0, 1].")
    var topP: Float = 1

    @Option(name: .long, help: "Random seed for sampling.")
    var seed: UInt64?

    @Option(name: .long, help: "Stop sequence (repeatable).")
    var stop: [String] = []

    @Flag(name: .long, help: "Print timing and memory figures as JSON on stderr (for Benchmarks/generation).")
    var stats = false

    @Flag(name: .customLong("ignore-eos"), help: "Generate exactly --max-tokens tokens, past end-of-sequence tokens (for benchmarks).")
    var ignoreEOS = false

    @Flag(name: .long, help: "Do not print the generated text.")
    var quiet = false

    @Argument(help: "The prompt.")
    var prompt: String

    func run() async throws {
        let url = try await ModelReference.resolve(model, dataDir: dataDir)
        // A .gguf file, a folder holding one, or a Hugging Face causal-LM folder (safetensors).
        guard case .generation(let loaded) = try ModelLoader.load(path: url, id: nil), let llm = loaded as? LlamaModel else {
            throw ValidationError("--model must name a text generation model: a GGUF file or a Hugging Face causal-LM folder (got \(model))")
        }
        let text = chat ? try llm.renderChat([ChatMessage(role: "user", content: prompt)], addGenerationPrompt: true) : prompt
        var params = GenerationParameters()
        params.maxTokens = maxTokens
        params.temperature = temperature
        params.topP = topP
        params.seed = seed
        params.stop = stop
        params.ignoreEOS = ignoreEOS
        let ids = llm.tokenizer.encode(text, addSpecialTokens: true)
        let out = FileHandle.standardOutput
        let clock = ContinuousClock()
        let start = clock.now
        var first: ContinuousClock.Instant?
        var last = start
        let result = try llm.generate(prompt: ids, parameters: params) { token in
            last = clock.now
            if first == nil { first = last }
            if !quiet { out.write(Data(token.text.utf8)) }
            return true
        }
        if !quiet { out.write(Data("\n".utf8)) }
        FileHandle.standardError.write(Data("[\(result.promptTokens) prompt tokens, \(result.completionTokens) generated, finish: \(result.finishReason.rawValue)]\n".utf8))
        if stats {
            func secs(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
            let ttft = first.map { secs($0 - start) } ?? 0
            let decode = first.map { secs(last - $0) } ?? 0
            var usage = rusage()
            getrusage(RUSAGE_SELF_WHO, &usage)
            let json = "{\"prompt_tokens\": \(result.promptTokens), \"generated_tokens\": \(result.completionTokens), "
                + "\"ttft_s\": \(ttft), \"prompt_tok_s\": \(Double(result.promptTokens) / max(ttft, 1e-9)), "
                + "\"gen_tok_s\": \(Double(max(result.completionTokens - 1, 0)) / max(decode, 1e-9)), "
                + "\"peak_rss_mb\": \(Double(usage.ru_maxrss) / 1024)}\n"
            FileHandle.standardError.write(Data(json.utf8))
        }
    }
}
