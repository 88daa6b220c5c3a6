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
}
