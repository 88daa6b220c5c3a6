import COpenBLAS
import Dispatch

/// The few BLAS calls the engine makes, through Debian's OpenBLAS.
public enum BLAS {
    /// Threads OpenBLAS uses for one call (it starts with one per core).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The OpenBLAS build and the kernel it chose (OPENBLAS_CORETYPE can force one).
    public static var configuration: String {
        guard let config = openblas_get_config(), let core = openblas_get_corename() else { return "OpenBLAS" }
        return "\(String(cString: config)) core \(String(cString: core))"
    }

    /// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C.
    @inline(__always)
    public static func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// A PyTorch `Linear` layer on `rows` inputs: output[rows×out] += input[rows×in] · weight[out×in]ᵀ.
    /// The caller fills `output` first (with the bias, or bias plus a residual) so one call does it all.
    @inline(__always)
    public static func linearAccumulate(input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
                                        weight: UnsafePointer<Float>, outFeatures: Int,
                                        output: UnsafeMutablePointer<Float>) {
        sgemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: input, lda: inFeatures,
              b: weight, ldb: inFeatures, beta: 1, c: output, ldc: outFeatures)
    }

    /// `linearAccumulate` with the output features split across `parts` threads, each running one
    /// single-threaded OpenBLAS call on its own slice of weight rows. Dispatch workers block rather
    /// than spin, so this degrades gracefully when the cores are shared; OpenBLAS's own pool
    /// (busy-waiting threads) fell 15× behind on a loaded 2-core machine.
    public static func parallelLinearAccumulate(input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
                                                weight: UnsafePointer<Float>, outFeatures: Int,
                                                output: UnsafeMutablePointer<Float>, parts: Int) {
        // Below ~64K multiply-adds a second thread costs more than it saves.
        let n = (rows * inFeatures * outFeatures < 65_536) ? 1 : max(1, min(parts, outFeatures / 16))
        if n == 1 {
            linearAccumulate(input: input, rows: rows, inFeatures: inFeatures, weight: weight,
                             outFeatures: outFeatures, output: output)
            return
        }
        let pointers = SendablePointers(input: input, weight: weight, output: output)
        DispatchQueue.concurrentPerform(iterations: n) { part in
            // Slice boundaries on multiples of 16 features keep the kernels' vector loads aligned.
            let lower = (outFeatures * part / n) & ~15
            let upper = part == n - 1 ? outFeatures : (outFeatures * (part + 1) / n) & ~15
            guard lower < upper else { return }
            sgemm(transposeB: true, m: rows, n: upper - lower, k: inFeatures, a: pointers.input, lda: inFeatures,
                  b: pointers.weight + lower * inFeatures, ldb: inFeatures, beta: 1,
                  c: pointers.output + lower, ldc: outFeatures)
        }
    }
}

/// Raw pointers handed to worker threads that write disjoint parts of `output`.
private struct SendablePointers: @unchecked Sendable {
    let input: UnsafePointer<Float>
    let weight: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
}
