import Dispatch
import Foundation

/// Element-wise and per-row steps of the BERT encoder. Matrix products go to BLAS; these loops run
/// row-parallel over the cores.
enum BertKernels {

    /// Runs `body` over `0..<count` split into up to `threads` chunks (inline when small).
    static func parallelFor(_ count: Int, threads: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(max(1, threads), max(1, count / max(1, minimumPerChunk)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        // The chunks touch disjoint rows of buffers the caller owns for the whole call, so handing
        // the non-Sendable closure to the worker threads is safe; concurrentPerform returns after all.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lower = count * chunk / chunks
                let upper = count * (chunk + 1) / chunks
                if lower < upper { shared.value(lower..<upper) }
            }
        }
    }

    /// In-place LayerNorm of `rows` rows of `width`: (x − mean) / √(var + eps) · gamma + beta.
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float, threads: Int) {
        parallelFor(rows, threads: threads, minimumPerChunk: 16) { range in
            for r in range {
                let row = x + r * width
                var sum: Float = 0
                for i in 0..<width { sum += row[i] }
                let mean = sum / Float(width)
                var squares: Float = 0
                for i in 0..<width {
                    let d = row[i] - mean
                    squares += d * d
                }
                let inv = 1 / (squares / Float(width) + eps).squareRoot()
                for i in 0..<width { row[i] = (row[i] - mean) * inv * gamma[i] + beta[i] }
            }
        }
    }

    /// GELU with the error function, as BERT's "gelu" activation: x · ½(1 + erf(x/√2)) — not the
    /// tanh approximation. erf comes from Abramowitz & Stegun 7.1.28, eight lanes at a time with
    /// only multiplies and adds (|error| < 1.5e-6 evaluated in Float, measured over ±12 in steps
    /// of 7e-4): libm's scalar erff took a seventh of the encoder's time.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, threads: Int) {
        parallelFor(count, threads: threads, minimumPerChunk: 4096) { range in
            var i = range.lowerBound
            let raw = UnsafeMutableRawPointer(x)
            while i + 8 <= range.upperBound {
                let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                raw.storeBytes(of: 0.5 * v * (1 + erf8(v * 0.70710678118654752)), toByteOffset: 4 * i, as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound {
                let v = x[i]
                x[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752))
                i += 1
            }
        }
    }

    @inline(__always)
    static func erf8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let a = x.replacing(with: -x, where: x .< 0)
        // 1 − 1/(1 + a1·a + … + a6·a⁶)¹⁶; for large |x| the power overflows to +inf and erf is exactly ±1.
        var p = SIMD8<Float>(repeating: 0.0000430638)
        p = p * a + 0.0002765672
        p = p * a + 0.0001520143
        p = p * a + 0.0092705272
        p = p * a + 0.0422820123
        p = p * a + 0.0705230784
        p = p * a + 1
        p = p * p; p = p * p; p = p * p; p = p * p
        let e = 1 - 1 / p
        return e.replacing(with: -e, where: x .< 0)
    }

    /// Fills each of `rows` rows of `output` (width `width`) with `bias`, plus `residual`'s row when given.
    static func fillRows(_ output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                         bias: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil, threads: Int) {
        parallelFor(rows, threads: threads, minimumPerChunk: 64) { range in
            for r in range {
                let out = output + r * width
                if let residual {
                    let res = residual + r * width
                    for i in 0..<width { out[i] = res[i] + bias[i] }
                } else {
                    out.update(from: bias, count: width)
                }
            }
        }
    }

    /// Scaled dot-product attention of one head of one sequence, reading Q, K and V from the
    /// fused projection rows (stride `qkvStride`) and writing the context into `context` (stride `contextStride`).
    static func attentionHead(qkv: UnsafePointer<Float>, qkvStride: Int, length: Int, headOffset: Int, headDim: Int,
                              hidden: Int, context: UnsafeMutablePointer<Float>, contextStride: Int,
                              scores: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(headDim).squareRoot()
        for i in 0..<length {
            let q = qkv + i * qkvStride + headOffset
            var maxScore = -Float.infinity
            for j in 0..<length {
                let k = qkv + j * qkvStride + hidden + headOffset
                let s = dot(q, k, headDim) * scale
                scores[j] = s
                if s > maxScore { maxScore = s }
            }
            var total: Float = 0
            for j in 0..<length {
                let e = expf(scores[j] - maxScore)
                scores[j] = e
                total += e
            }
            let inv = 1 / total
            let out = context + i * contextStride + headOffset
            for d in 0..<headDim { out[d] = 0 }
            for j in 0..<length {
                let p = scores[j] * inv
                let v = qkv + j * qkvStride + 2 * hidden + headOffset
                axpy(p, v, out, headDim)
            }
        }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var acc = SIMD8<Float>()
        let raw8a = UnsafeRawPointer(a), raw8b = UnsafeRawPointer(b)
        while i + 8 <= n {
            let va = raw8a.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let vb = raw8b.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            acc += va * vb
            i += 8
        }
        var sum = acc.sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let va = SIMD8<Float>(repeating: alpha)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 8 <= n {
            let vx = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let vy = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            ry.storeBytes(of: vy + va * vx, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            y[i] += alpha * x[i]
            i += 1
        }
    }
}

struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
