import CKernels
import Foundation
import Testing

/// Kernel-level checks the whole-model tests cannot make: types no test model stores.
@Suite(.serialized) struct KernelTests {
    /// Top 16 bits of an F32: what a BF16 checkpoint stores (truncation keeps the test's
    /// reference exact: the products below see exactly these values).
    static func bf16(_ x: [Float]) -> [UInt16] { x.map { UInt16($0.bitPattern >> 16) } }
    static func widen(_ h: [UInt16]) -> [Float] { h.map { Float(bitPattern: UInt32($0) << 16) } }

    @Test func bf16ProductsEqualFloatProductsAndBothPathsAgree() {
        var rng = SystemRandomNumberGenerator()
        let n = 1003, rows = 9   // a tail past the 8 lanes
        let w = Self.bf16((0..<(n * rows)).map { _ in Float.random(in: -1...1, using: &rng) })
        let x = Self.bf16((0..<n).map { _ in Float.random(in: -1...1, using: &rng) })
        func run() -> [Float] {
            var out = [Float](repeating: 0, count: rows)
            w.withUnsafeBytes { wp in x.withUnsafeBytes { xp in out.withUnsafeMutableBufferPointer { o in
                ck_matmul(Int32(CK_TYPE_BF16), wp.baseAddress, n * 2, Int32(n), 0, Int32(rows), xp.baseAddress, n * 2, 1, o.baseAddress, rows)
            } } }
            return out
        }
        let fast = run()
        ck_force_portable(1)
        let portable = run()
        ck_force_portable(0)
        #expect(fast == portable)
        let wf = Self.widen(w), xf = Self.widen(x)
        for r in 0..<rows {
            var want = 0.0
            for i in 0..<n { want += Double(wf[r * n + i]) * Double(xf[i]) }
            #expect(abs(Double(fast[r]) - want) <= 1e-4, "row \(r): \(fast[r]) vs \(want)")
        }
    }

    /// Random Q2_K / Q3_K rows against Q8_K activations. Six tokens take the four-token kernel
    /// once and the single-token one twice, and 19 rows end in a part tile; both paths must give
    /// the same bits, and the sums must be the dequantised rows' products.
    @Test(arguments: ["Q2_K", "Q3_K"]) func twoAndThreeBitKQuantsGiveTheSameBitsOnBothPaths(type: String) {
        let t = Int32(type == "Q2_K" ? CK_TYPE_Q2_K : CK_TYPE_Q3_K)
        let blockBytes = type == "Q2_K" ? 84 : 110
        let scaleOffsets = type == "Q2_K" ? [80, 82] : [108]   // F16 d (and Q2_K's dmin); the rest any bytes
        var rng = SystemRandomNumberGenerator()
        let n = 1024, rows = 19, ntok = 6
        let rb = ck_row_bytes(t, Int32(n)), xs = ck_row_bytes(Int32(CK_TYPE_Q8_K), Int32(n))
        var w = (0..<(rb * rows)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for b in 0..<(rows * n / 256) {
            for off in scaleOffsets {
                let h = ck_fp32_to_fp16(Float.random(in: 0.001...0.1, using: &rng))
                w[b * blockBytes + off] = UInt8(h & 0xFF)
                w[b * blockBytes + off + 1] = UInt8(h >> 8)
            }
        }
        let x = (0..<(n * ntok)).map { _ in Float.random(in: -2...2, using: &rng) }
        var xq = [UInt8](repeating: 0, count: xs * ntok)
        x.withUnsafeBufferPointer { xp in xq.withUnsafeMutableBytes { q in
            for k in 0..<ntok { ck_quantize_row(Int32(CK_TYPE_Q8_K), xp.baseAddress! + k * n, q.baseAddress! + k * xs, Int32(n)) }
        } }
        func run() -> [Float] {
            var out = [Float](repeating: 0, count: rows * ntok)
            w.withUnsafeBytes { wp in xq.withUnsafeBytes { xp in out.withUnsafeMutableBufferPointer { o in
                ck_matmul(t, wp.baseAddress, rb, Int32(n), 0, Int32(rows), xp.baseAddress, xs, Int32(ntok), o.baseAddress, rows)
            } } }
            return out
        }
        let fast = run()
        ck_force_portable(1)
        let portable = run()
        ck_force_portable(0)
        #expect(fast.map(\.bitPattern) == portable.map(\.bitPattern))

        // Q8_K block: F32 scale, then 256 signed quants.
        func activation(_ k: Int, _ i: Int) -> Double {
            let at = k * xs + (i / 256) * 292
            let d = Float(bitPattern: UInt32(xq[at]) | UInt32(xq[at + 1]) << 8 | UInt32(xq[at + 2]) << 16 | UInt32(xq[at + 3]) << 24)
            return Double(d) * Double(Int8(bitPattern: xq[at + 4 + i % 256]))
        }
        for r in 0..<rows {
            var wf = [Float](repeating: 0, count: n)
            w.withUnsafeBytes { wp in wf.withUnsafeMutableBufferPointer { o in
                ck_dequantize_row(t, wp.baseAddress, rb, Int32(r), Int32(n), o.baseAddress)
            } }
            for k in 0..<ntok {
                var want = 0.0, scale = 0.0
                for i in 0..<n {
                    let p = Double(wf[i]) * activation(k, i)
                    want += p
                    scale += abs(p)
                }
                let got = Double(fast[k * rows + r])
                #expect(abs(got - want) <= 1e-5 * scale + 1e-6, "\(type) row \(r) token \(k): \(got) vs \(want)")
            }
        }
    }

    /// The register-tiled kernels (AVX-512 VNNI where the CPU has it), the AVX2 kernels and the
    /// portable ones give the same bits for every type the tiles cover, for token counts that
    /// take whole and part tiles and for a row count ending in a part tile; and a batch of
    /// tokens gives each token the bits of its own single-token product.
    @Test(arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q6_K"])
    func tiledKernelsGiveTheSameBitsOnEveryPath(type: String) {
        let (t, blockBytes, scaleOffsets): (Int32, Int, [Int]) = switch type {
        case "Q4_0": (Int32(CK_TYPE_Q4_0), 18, [0])
        case "Q4_1": (Int32(CK_TYPE_Q4_1), 20, [0, 2])
        case "Q5_0": (Int32(CK_TYPE_Q5_0), 22, [0])
        case "Q5_1": (Int32(CK_TYPE_Q5_1), 24, [0, 2])
        case "Q8_0": (Int32(CK_TYPE_Q8_0), 34, [0])
        case "Q4_K": (Int32(CK_TYPE_Q4_K), 144, [0, 2])
        default: (Int32(CK_TYPE_Q6_K), 210, [208])
        }
        var rng = SystemRandomNumberGenerator()
        let n = 512, rows = 19
        let rb = ck_row_bytes(t, Int32(n))
        let vt = ck_vec_dot_type(t)
        let xs = ck_row_bytes(vt, Int32(n))
        var w = (0..<(rb * rows)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for b in 0..<(rb * rows / blockBytes) {
            for off in scaleOffsets {
                let h = ck_fp32_to_fp16(Float.random(in: -0.1...0.1, using: &rng))
                w[b * blockBytes + off] = UInt8(h & 0xFF)
                w[b * blockBytes + off + 1] = UInt8(h >> 8)
            }
        }
        for ntok in [1, 3, 4, 6, 13] {   // 4: one token group, tiles read packed rows; 6, 13: rows unpacked once per tile
            let x = (0..<(n * ntok)).map { _ in Float.random(in: -2...2, using: &rng) }
            var xq = [UInt8](repeating: 0, count: xs * ntok)
            x.withUnsafeBufferPointer { xp in xq.withUnsafeMutableBytes { q in
                for k in 0..<ntok { ck_quantize_row(vt, xp.baseAddress! + k * n, q.baseAddress! + k * xs, Int32(n)) }
            } }
            func run(tokens: Range<Int>) -> [UInt32] {
                var out = [Float](repeating: 0, count: rows * tokens.count)
                w.withUnsafeBytes { wp in xq.withUnsafeBytes { xp in out.withUnsafeMutableBufferPointer { o in
                    ck_matmul(t, wp.baseAddress, rb, Int32(n), 0, Int32(rows), xp.baseAddress! + tokens.lowerBound * xs, xs,
                              Int32(tokens.count), o.baseAddress, rows)
                } } }
                return out.map(\.bitPattern)
            }
            let fast = run(tokens: 0..<ntok)
            ck_force_avx2(1)
            let avx2 = run(tokens: 0..<ntok)
            ck_force_avx2(0)
            ck_force_portable(1)
            let portable = run(tokens: 0..<ntok)
            ck_force_portable(0)
            #expect(fast == portable, "\(type), \(ntok) tokens: fast path")
            #expect(avx2 == portable, "\(type), \(ntok) tokens: AVX2 path")
            let oneByOne = (0..<ntok).flatMap { run(tokens: $0..<($0 + 1)) }
            #expect(fast == oneByOne, "\(type), \(ntok) tokens: batch vs one at a time")
        }
    }

    /// SwiGLU (vector exp), activation quantisation, attention (vector softmax exp) and the
    /// rounding of cache rows to F16: the SIMD paths give the portable bits.
    @Test func elementwiseKernelsGiveTheSameBitsOnBothPaths() {
        var rng = SystemRandomNumberGenerator()
        let n = 4099
        let g = (0..<n).map { i in i % 3 == 0 ? Float.random(in: -120...120, using: &rng) : Float.random(in: -8...8, using: &rng) }
        let u = (0..<n).map { _ in Float.random(in: -3...3, using: &rng) }
        func swiglu() -> [UInt32] {
            var out = g
            out.withUnsafeMutableBufferPointer { o in u.withUnsafeBufferPointer { ck_swiglu(o.baseAddress, $0.baseAddress, Int32(n)) } }
            return out.map(\.bitPattern)
        }
        let m = 1024
        var x = (0..<m).map { _ in Float.random(in: -3...3, using: &rng) }
        for i in 0..<256 { x[256 + i] = i % 3 == 0 ? -0.5 : 0.5 }   // ties for the largest magnitude
        for i in 512..<544 { x[i] = 0 }
        func quantized(_ vt: Int32) -> [UInt8] {
            var q = [UInt8](repeating: 0, count: ck_row_bytes(vt, Int32(m)))
            x.withUnsafeBufferPointer { xp in q.withUnsafeMutableBytes { ck_quantize_row(vt, xp.baseAddress, $0.baseAddress, Int32(m)) } }
            return q
        }
        let hd = 64, npos = 77
        let kv = (0..<(2 * hd * npos)).map { _ in ck_fp16_to_fp32(ck_fp32_to_fp16(Float.random(in: -3...3, using: &rng))) }
        let q = (0..<hd).map { _ in Float.random(in: -3...3, using: &rng) }
        func attention(_ multi: Int32, softcap: Float = 0) -> [UInt32] {
            var out = [Float](repeating: 0, count: hd), scratch = [Float](repeating: 0, count: npos)
            kv.withUnsafeBufferPointer { p in
                ck_attention_head_f32(q, p.baseAddress, p.baseAddress! + hd * npos, hd, Int32(npos), Int32(hd), 0.125, softcap, multi, &scratch, &out)
            }
            return out.map(\.bitPattern)
        }
        // Ties between two F16 values, subnormals, the largest F16, overflow to infinity, -0.
        var r = (0..<(n - 12)).map { _ in Float.random(in: -70_000...70_000, using: &rng) * (Bool.random(using: &rng) ? 1 : 1e-6) }
        r += [1 + 0x1p-11, 1 + 3 * 0x1p-11, 0x1p-25, 0x1p-24, 3 * 0x1p-26, 65504, 65520, -65520, -0.0, 0x1p-14, 0x1.ffcp-15, 6e-8]
        func rounded() -> [UInt32] {
            var out = [Float](repeating: 0, count: r.count)
            ck_round_to_fp16(r, &out, Int32(r.count))
            return out.map(\.bitPattern)
        }
        let types = [Int32(CK_TYPE_Q8_0), Int32(CK_TYPE_Q8_1), Int32(CK_TYPE_Q8_K)]
        let fast = (swiglu(), types.map(quantized), attention(0), attention(1), attention(1, softcap: 2), rounded())
        ck_force_portable(1)
        let portable = (swiglu(), types.map(quantized), attention(0), attention(1), attention(1, softcap: 2), rounded())
        ck_force_portable(0)
        #expect(fast.5 == portable.5)
        #expect(portable.5 == r.map { ck_fp16_to_fp32(ck_fp32_to_fp16($0)).bitPattern })
        #expect(Float(bitPattern: fast.5[n - 6]) == .infinity && Float(bitPattern: fast.5[n - 7]) == 65504)
        #expect(fast.0 == portable.0)
        #expect(fast.1 == portable.1)
        #expect(fast.2 == portable.2)
        #expect(fast.3 == portable.3)
        #expect(fast.4 == portable.4)
        #expect(fast.4 != fast.3, "soft-capping at 2 changes scores of up to ~9")
    }
}
