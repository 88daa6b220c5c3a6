import Foundation

/// What this machine can compute on: the CPU with its SIMD features, and GPU devices whose
/// drivers are present (CUDA through the NVIDIA driver's proc files, ROCm through the KFD node).
public struct HardwareInfo: Sendable {
    public var cpuModel: String
    public var cores: Int
    public var simd: [String]
    public var cudaDevices: [String]
    public var rocmDevices: [String]
    public var metal: Bool

    /// Names a caller may pass as `hardware` to /models/load.
    public var available: [String] {
        var a = ["cpu"]
        if !cudaDevices.isEmpty { a.append("cuda") }
        if !rocmDevices.isEmpty { a.append("rocm") }
        if metal { a.append("mps") }
        return a
    }

    /// What the inference engine runs on; the others are reported but cannot run models yet.
    public static let engineBackends: Set<String> = ["cpu"]
    public static let knownNames: Set<String> = ["cpu", "cuda", "rocm", "mps", "metal", "openvino", "webgpu", "webnn", "qualcomm"]

    public static func detect() -> HardwareInfo {
        var model = "unknown"
        var flags: Set<String> = []
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in info.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                if parts[0] == "model name", model == "unknown" { model = parts[1] }
                if parts[0] == "flags" || parts[0] == "Features" { flags.formUnion(parts[1].split(separator: " ").map(String.init)) }
            }
        }
        let interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile", "neon", "asimd", "sve"]
        var cuda: [String] = []
        if let gpus = try? FileManager.default.contentsOfDirectory(atPath: "/proc/driver/nvidia/gpus") {
            cuda = gpus.sorted()
        }
        var rocm: [String] = []
        if FileManager.default.fileExists(atPath: "/dev/kfd"),
           let nodes = try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/kfd/kfd/topology/nodes") {
            for node in nodes.sorted() {
                let props = (try? String(contentsOfFile: "/sys/class/kfd/kfd/topology/nodes/\(node)/properties", encoding: .utf8)) ?? ""
                if props.contains("simd_count") && !props.contains("simd_count 0\n") { rocm.append(node) }
            }
        }
        #if os(macOS)
        let metal = true
        #else
        let metal = false
        #endif
        return HardwareInfo(cpuModel: model, cores: ProcessInfo.processInfo.activeProcessorCount,
                            simd: interesting.filter(flags.contains), cudaDevices: cuda, rocmDevices: rocm, metal: metal)
    }
}

/// Resident memory of this process (Linux /proc), in bytes; 0 where unknown.
func processResidentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
