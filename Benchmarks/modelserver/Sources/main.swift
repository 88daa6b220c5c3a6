// The engine alone, in-process: the same short-text embeddings the HTTP benchmark sends,
// one text per call (what an unbatched server does) and `concurrency` texts per call (what
// dynamic batching gives at that concurrency). Prints one JSON line.
// Usage: modelserver-bench <model-folder> [requests] [concurrency]
import Foundation
import Inference
import ModelServer

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: modelserver-bench <model-folder> [requests] [concurrency]\n".utf8))
    exit(2)
}
let requests = args.count > 2 ? Int(args[2]) ?? 2000 : 2000
let concurrency = args.count > 3 ? Int(args[3]) ?? 16 : 16
let texts = ["hello world", "a short sentence", "IPFS content addressing", "the quick brown fox",
             "model serving on a CPU", "embeddings of short texts", "loopback benchmark", "one more line"]

guard case .embedding(let model) = try EngineLoader.load(URL(fileURLWithPath: args[1]), args[1]) else {
    FileHandle.standardError.write(Data("not an embedding model\n".utf8))
    exit(2)
}
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func text(_ i: Int) -> String { texts[i % texts.count] + " \(i)" }
func summary(_ name: String, _ lat: [Double], _ wall: Double, _ items: Int) -> [String: Any] {
    let s = lat.sorted()
    func p(_ q: Double) -> Double { s[min(s.count - 1, Int(q * Double(s.count)))] * 1000 }
    return ["name": name, "requests": items, "rps": Double(items) / wall, "p50_ms": p(0.5), "p99_ms": p(0.99)]
}

_ = try model.embed(["warm-up"])
var lat: [Double] = []
var t0 = now()
for i in 0..<requests {
    let t = now()
    _ = try model.embed([text(i)])
    lat.append(now() - t)
}
let single = summary("engine in-process, 1 text per call", lat, now() - t0, requests)

lat = []
t0 = now()
var i = 0
while i < requests {
    let n = min(concurrency, requests - i)
    let t = now()
    _ = try model.embed((i..<i + n).map(text))
    lat.append(now() - t)
    i += n
}
let batched = summary("engine in-process, \(concurrency) texts per call (per-call latency)", lat, now() - t0, requests)
let out = try JSONSerialization.data(withJSONObject: ["results": [single, batched]])
print(String(decoding: out, as: UTF8.self))
