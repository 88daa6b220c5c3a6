import COpenBLAS
import Dispatch

/// The few BLAS calls the engine makes, through Debian's OpenBLAS, opened on first use
/// (see copenblas.h for why it is not linked) and always called single-threaded: the engine
/// splits products over its own threads.
public enum BLAS {
    /// Opens OpenBLAS if it is not open yet; throws when it is not installed.
    public static func open(for path: String) throws {
        var why: UnsafePointer<CChar>?
        guard copenblas_open(&why) == 1 else {
            throw ModelLoadError.unsupported(path: path, what: "float matrix products: " + (why.map { String(cString: $0) } ?? "OpenBLAS could not be opened"))
        }
    }

    /// The OpenBLAS build and the kernel it chose (OPENBLAS_CORETYPE can force one).
    public static var configuration: String {
        guard copenblas_open(nil) == 1, let config = copenblas_config(), let core = copenblas_corename() else { return "OpenBLAS" }
        return "\(String(cString: config)) core \(String(cString: core))"
    }

    /// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C. `open(for:)` must have succeeded.
    @inline(__always)
    public static func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        copenblas_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                        b, Int32(ldb), beta, c, Int32(ldc))
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
