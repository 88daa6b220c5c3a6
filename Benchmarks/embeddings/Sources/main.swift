import Foundation
import Inference

// Swift side of Benchmarks/embeddings/run.sh: embeddings/s for the sentences at batch 32 and
// batch-1 latency, printed as one JSON line.
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: EmbeddingsBenchmark MODEL_FOLDER SENTENCES_FILE\n".utf8))
    exit(2)
}
let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 3
let threads = Int(ProcessInfo.processInfo.environment["BENCH_THREADS"] ?? "") ?? 2
let sentences = try String(contentsOfFile: arguments[2], encoding: .utf8).split(separator: "\n").map(String.init)
let model = try BertEmbeddingModel.load(folder: URL(fileURLWithPath: arguments[1]), threads: threads)

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func embedInBatches(of size: Int) throws {
    var i = 0
    while i < sentences.count {
        _ = try model.embed(Array(sentences[i..<min(i + size, sentences.count)]))
        i += size
    }
}

_ = try model.embed(Array(sentences.prefix(64)))   // warm-up: page in the weights, open OpenBLAS
var batchTimes: [Double] = []
for _ in 0..<rounds { batchTimes.append(try seconds { try embedInBatches(of: 32) }) }
var latencies: [Double] = []
for s in sentences.prefix(64) { latencies.append(try seconds { _ = try model.embed([s]) }) }
latencies.sort()
let best = batchTimes.min()!
let tokens = sentences.reduce(0) { $0 + model.tokenIds($1).count }
let result: [String: Any] = [
    "engine": "IPFSAccelerate Inference (\(model.threads) threads; \(BLAS.configuration))",
    "sentences": sentences.count, "tokens": tokens, "batch_seconds": best,
    "embeddings_per_second": Double(sentences.count) / best,
    "batch1_latency_ms_median": latencies[latencies.count / 2] * 1000,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
