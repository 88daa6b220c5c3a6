import CKernels
import Dispatch
import Foundation

/// Keys and values of one sequence, per layer, as F32 values rounded to F16 (llama.cpp's cache type).
final class LlamaKVCache {
    let layers: Int
    let capacity: Int
    let kvDim: Int
    let k: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    /// Positions filled so far.
    var count = 0

    init(layers: Int, capacity: Int, kvDim: Int) {
        self.layers = layers
        self.capacity = capacity
        self.kvDim = kvDim
        let n = layers * capacity * kvDim
        k = .allocate(capacity: n)
        v = .allocate(capacity: n)
    }

    deinit { k.deallocate(); v.deallocate() }

    func keys(layer: Int, pos: Int) -> UnsafeMutablePointer<Float> { k + (layer * capacity + pos) * kvDim }
    func values(layer: Int, pos: Int) -> UnsafeMutablePointer<Float> { v + (layer * capacity + pos) * kvDim }
}

/// Scratch buffers for one forward pass over `rows` tokens.
final class LlamaWorkspace {
    let rows: Int
    let x, xn, q, k, v, att, gate, up, logits, scratch: UnsafeMutablePointer<Float>
    /// RoPE's cos/sin pairs per row: global layers' settings, then local layers' (`rows * headDim` each).
    let ropeAngles: UnsafeMutablePointer<Float>
    /// Converted activations: one slot per activation type of the matrices sharing an input
    /// (a mixed file can store q, k and v in three types that each need their own).
    let quant: UnsafeMutableRawPointer
    let quantStride: Int
    static let quantSlots = 3
    var quantSlotBytes: Int { rows * quantStride }
    let scratchStride: Int
    private var buffers: [UnsafeMutablePointer<Float>] = []

    init(config c: LlamaConfig, rows: Int, logitRows: Int, maxPositions: Int, threads: Int) {
        self.rows = rows
        func f(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        x = f(rows * c.dim); xn = f(rows * max(c.dim, c.qDim)); q = f(rows * c.qDim)
        k = f(rows * c.kvDim); v = f(rows * c.kvDim); att = f(rows * c.qDim)
        gate = f(rows * c.ffnDim); up = f(rows * c.ffnDim)
        logits = f(logitRows * c.vocab)
        ropeAngles = f(2 * rows * c.headDim)
        scratchStride = maxPositions
        scratch = f(max(threads, 1) * maxPositions)
        // Largest converted activation row: F32 copy of the widest input.
        quantStride = (max(c.dim, c.ffnDim, c.qDim) * 4 + 63) / 64 * 64
        quant = .allocate(byteCount: Self.quantSlots * rows * quantStride, alignment: 64)
        buffers = [x, xn, q, k, v, att, gate, up, logits, scratch, ropeAngles]
    }

    deinit {
        for b in buffers { b.deallocate() }
        quant.deallocate()
    }
}

/// One row of a batched forward pass: a token of some sequence at some position.
struct LlamaBatchRow {
    var token: Int
    var cache: LlamaKVCache
    var position: Int
    var wantLogits: Bool
    /// Several tokens of this sequence are in the pass (a prompt), which changes llama.cpp's
    /// summation order in attention.
    var multiToken = false
}

struct LlamaForward {
    let config: LlamaConfig
    let weights: LlamaWeights
    let threads: Int

    /// Products of `rows` activation rows (`stride` floats apart) with several matrices sharing
    /// them: the rows are converted once per activation type the matrices need, then the rows
    /// of all matrices are split over the threads in one go.
    private func matmuls(_ src: UnsafeMutablePointer<Float>, stride: Int, rows: Int,
                         _ jobs: [(LlamaMatrix, UnsafeMutablePointer<Float>)], ws: LlamaWorkspace) {
        var types: [Int32] = []
        for (m, _) in jobs where !types.contains(m.vecDotType) {
            precondition(types.count < LlamaWorkspace.quantSlots)
            let slot = ws.quant + types.count * ws.quantSlotBytes
            let type = m.vecDotType, cols = Int32(m.cols), qs = ws.quantStride
            forEachRow(rows) { r in ck_quantize_row(type, src + r * stride, slot + r * qs, cols) }
            types.append(m.vecDotType)
        }
        let slots = jobs.map { job in UnsafeRawPointer(ws.quant + types.firstIndex(of: job.0.vecDotType)! * ws.quantSlotBytes) }
        let total = jobs.reduce(0) { $0 + $1.0.rows }
        let qs = ws.quantStride
        parallelChunks(total, threads: threads) { _, range in
            var base = 0
            for (j, (m, out)) in jobs.enumerated() {
                let lo = max(range.lowerBound - base, 0), hi = min(range.upperBound - base, m.rows)
                if lo < hi {
                    ck_matmul(Int32(m.type.rawValue), m.data, m.rowBytes, Int32(m.cols), Int32(lo), Int32(hi),
                              slots[j], qs, Int32(rows), out, m.rows)
                }
                base += m.rows
            }
        }
    }

    /// Runs `batch` through the model, appending keys/values to each row's cache.
    /// Returns logits (vocab floats) for rows that want them, in batch order, inside `ws.logits`.
    func run(_ batch: [LlamaBatchRow], ws: LlamaWorkspace) {
        let c = config, n = batch.count
        precondition(n <= ws.rows)
        for (r, row) in batch.enumerated() {
            ck_dequantize_row(Int32(weights.embedding.type.rawValue), weights.embedding.data,
                              weights.embedding.rowBytes, Int32(row.token), Int32(c.dim), ws.x + r * c.dim)
        }
        let gemma = c.architecture.isGemma
        if gemma {
            let s = Float(c.dim).squareRoot()
            for j in 0..<(n * c.dim) { ws.x[j] *= s }
        }
        // The rotation angles depend only on the position and the settings: once per pass, not per layer.
        let hd = c.headDim
        weights.ropeFreqs.withUnsafeBufferPointer { ff in
            let factors = ff.isEmpty ? nil : ff.baseAddress
            var global = c.rope.params(factors: factors, neox: c.neoxRoPE)
            var local = c.ropeLocal.params(factors: factors, neox: c.neoxRoPE)
            for (r, row) in batch.enumerated() {
                ck_rope_angles(Int32(hd), Int32(row.position), &global, ws.ropeAngles + r * hd)
                if c.hasLocalLayers { ck_rope_angles(Int32(hd), Int32(row.position), &local, ws.ropeAngles + (ws.rows + r) * hd) }
            }
        }
        let queryScale = c.queryScale
        let scale: Float = c.architecture.scalesQueries ? 1 : queryScale
        let group = c.heads / c.kvHeads
        for (li, layer) in weights.layers.enumerated() {
            let local = c.isLocal(layer: li)
            // attention
            rmsNorm(layer.attnNorm, rows: n, ws: ws)
            matmuls(ws.xn, stride: c.dim, rows: n, [(layer.q, ws.q), (layer.k, ws.k), (layer.v, ws.v)], ws: ws)
            if !layer.qBias.isEmpty {
                for r in 0..<n {
                    layer.qBias.withUnsafeBufferPointer { ck_add(ws.q + r * c.qDim, $0.baseAddress, Int32(c.qDim)) }
                    layer.kBias.withUnsafeBufferPointer { ck_add(ws.k + r * c.kvDim, $0.baseAddress, Int32(c.kvDim)) }
                    layer.vBias.withUnsafeBufferPointer { ck_add(ws.v + r * c.kvDim, $0.baseAddress, Int32(c.kvDim)) }
                }
            }
            if !layer.qNorm.isEmpty {
                // Qwen 3 normalises each head of q and k before the rotation.
                layer.qNorm.withUnsafeBufferPointer { w in
                    for h in 0..<(n * c.heads) { ck_rms_norm(ws.q + h * c.headDim, w.baseAddress, ws.q + h * c.headDim, Int32(c.headDim), c.rmsEps) }
                }
                layer.kNorm.withUnsafeBufferPointer { w in
                    for h in 0..<(n * c.kvHeads) { ck_rms_norm(ws.k + h * c.headDim, w.baseAddress, ws.k + h * c.headDim, Int32(c.headDim), c.rmsEps) }
                }
            }
            // Rotate q and k, scale q where the architecture does it here, and append k and v to the cache.
            let angles = ws.ropeAngles + (local ? ws.rows * hd : 0), neox: Int32 = c.neoxRoPE ? 1 : 0
            let scalesQueries = c.architecture.scalesQueries
            forEachRow(n) { r in
                let q = ws.q + r * c.qDim, k = ws.k + r * c.kvDim, row = batch[r]
                ck_rope_rotate(q, Int32(c.heads), Int32(hd), angles + r * hd, neox)
                ck_rope_rotate(k, Int32(c.kvHeads), Int32(hd), angles + r * hd, neox)
                if scalesQueries { for j in 0..<c.qDim { q[j] *= queryScale } }
                ck_round_to_fp16(k, row.cache.keys(layer: li, pos: row.position), Int32(c.kvDim))
                ck_round_to_fp16(ws.v + r * c.kvDim, row.cache.values(layer: li, pos: row.position), Int32(c.kvDim))
            }
            let caches = batch.map { ($0.cache, $0.position, $0.multiToken ? Int32(1) : 0) }
            let window = local ? c.slidingWindow : Int.max
            parallelChunks(n * c.heads, threads: threads) { chunk, range in
                let scratch = ws.scratch + chunk * ws.scratchStride
                for item in range {
                    let r = item / c.heads, h = item % c.heads
                    let (cache, pos, multi) = caches[r]
                    let kvh = h / group
                    // A local layer sees positions pos - window + 1 ... pos.
                    let first = window > pos ? 0 : pos - window + 1
                    ck_attention_head_f32(ws.q + r * c.qDim + h * c.headDim,
                                          cache.keys(layer: li, pos: first) + kvh * c.headDim,
                                          cache.values(layer: li, pos: first) + kvh * c.headDim,
                                          c.kvDim, Int32(pos + 1 - first), Int32(c.headDim), scale, c.attentionSoftcap, multi, scratch,
                                          ws.att + r * c.qDim + h * c.headDim)
                }
            }
            matmuls(ws.att, stride: c.qDim, rows: n, [(layer.o, ws.xn)], ws: ws)
            postNorm(layer.attnPostNorm, rows: n, ws: ws)
            ck_add(ws.x, ws.xn, Int32(n * c.dim))
            // feed-forward
            rmsNorm(layer.ffnNorm, rows: n, ws: ws)
            matmuls(ws.xn, stride: c.dim, rows: n, [(layer.gate, ws.gate), (layer.up, ws.up)], ws: ws)
            let f = c.ffnDim
            forEachRow(n) { r in
                if gemma { ck_geglu(ws.gate + r * f, ws.up + r * f, Int32(f)) } else { ck_swiglu(ws.gate + r * f, ws.up + r * f, Int32(f)) }
            }
            matmuls(ws.gate, stride: c.ffnDim, rows: n, [(layer.down, ws.xn)], ws: ws)
            postNorm(layer.ffnPostNorm, rows: n, ws: ws)
            ck_add(ws.x, ws.xn, Int32(n * c.dim))
        }
        for row in batch { row.cache.count = max(row.cache.count, row.position + 1) }
        // logits for the rows that need them
        var m = 0
        weights.outputNorm.withUnsafeBufferPointer { w in
            for (r, row) in batch.enumerated() where row.wantLogits {
                ck_rms_norm(ws.x + r * c.dim, w.baseAddress, ws.xn + m * c.dim, Int32(c.dim), c.rmsEps)
                m += 1
            }
        }
        guard m > 0 else { return }
        matmuls(ws.xn, stride: c.dim, rows: m, [(weights.output, ws.logits)], ws: ws)
        if c.finalSoftcap > 0 { ck_softcap(ws.logits, Int32(m * c.vocab), c.finalSoftcap) }
    }

    /// `body(r)` for every row r < n, the rows split over the threads. For the per-row steps
    /// between the products (norms, activation conversion, SwiGLU): on one thread they were the
    /// part of a prompt pass the second core sat idle through.
    private func forEachRow(_ n: Int, _ body: (Int) -> Void) {
        parallelChunks(n, threads: threads) { _, range in for r in range { body(r) } }
    }

    /// x (the residual stream) normalised into xn, row by row.
    private func rmsNorm(_ weight: [Float], rows n: Int, ws: LlamaWorkspace) {
        let d = config.dim, eps = config.rmsEps
        weight.withUnsafeBufferPointer { w in
            let w = w.baseAddress
            forEachRow(n) { r in ck_rms_norm(ws.x + r * d, w, ws.xn + r * d, Int32(d), eps) }
        }
    }

    /// Gemma normalises a block's output (in `ws.xn`) before adding it to the residual stream.
    private func postNorm(_ weight: [Float], rows n: Int, ws: LlamaWorkspace) {
        guard !weight.isEmpty else { return }
        let d = config.dim
        weight.withUnsafeBufferPointer { w in
            for r in 0..<n { ck_rms_norm(ws.xn + r * d, w.baseAddress, ws.xn + r * d, Int32(d), config.rmsEps) }
        }
    }
}
