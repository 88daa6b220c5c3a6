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
}
