import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a GGUF file could not be used.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case notGGUF(path: String)
    case unsupportedVersion(UInt32)
    case truncated(what: String, offset: Int)
    case corrupt(String)
    case unknownTensorType(tensor: String, type: UInt32)
    case missingMetadata(String)
    case missingTensor(String)
    case unsupportedArchitecture(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "cannot open GGUF file \(p): \(r)"
        case .notGGUF(let p): return "\(p) is not a GGUF file (magic bytes are not 'GGUF')"
        case .unsupportedVersion(let v): return "GGUF version \(v) is not supported (only 2 and 3)"
        case .truncated(let w, let o): return "GGUF file is truncated: \(w) at byte \(o) runs past the end of the file"
        case .corrupt(let m): return "GGUF file is corrupt: \(m)"
        case .unknownTensorType(let t, let ty):
            return "tensor \(t) is stored as \(GGMLType.name(of: ty)) (GGML type \(ty)), which this engine cannot compute on "
                + "(supported: \(GGMLType.allCases.map { GGMLType.name(of: $0.rawValue) }.joined(separator: ", "))); "
                + "re-quantise the model to one of these, e.g. Q4_K_M"
        case .missingMetadata(let k): return "GGUF metadata key \(k) is missing"
        case .missingTensor(let t): return "GGUF file has no tensor named \(t)"
        case .unsupportedArchitecture(let a): return "model architecture '\(a)' is not supported (supported: \(DecoderArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
    }
}

/// A GGUF metadata value.
public indirect enum GGUFValue: Sendable, Equatable {
    case uint(UInt64), int(Int64), float(Double), bool(Bool), string(String)
    case array([GGUFValue])

    public var int: Int? {
        switch self {
        case .uint(let v): return Int(exactly: v)
        case .int(let v): return Int(exactly: v)
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .float(let v): return v
        case .uint(let v): return Double(v)
        case .int(let v): return Double(v)
        default: return nil
        }
    }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var array: [GGUFValue]? { if case .array(let a) = self { return a } else { return nil } }
}

/// GGML tensor storage types this engine computes on.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return 256
        }
    }
    var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }

    /// GGML's name of a type number, for messages about types this engine does not compute on.
    public static func name(of raw: UInt32) -> String {
        let names: [UInt32: String] = [0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
                                       10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
                                       16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
                                       22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
                                       29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4"]
        return names[raw] ?? "type \(raw)"
    }
}

public struct GGUFTensorInfo: Sendable {
    public let name: String
    /// GGML order: dims[0] is the row length (contiguous).
    public let dims: [Int]
    public let type: GGMLType
    /// Offset of the data from the start of the file.
    public let fileOffset: Int
    public var elementCount: Int { dims.reduce(1, *) }
    public var byteCount: Int { elementCount / type.blockSize * type.blockBytes }
    public var rowBytes: Int { dims[0] / type.blockSize * type.blockBytes }
}

/// The bytes of a memory-mapped file, unmapped when the last reference goes.
final class GGUFMappedFile: @unchecked Sendable {   // immutable after init
    let base: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GGUFError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw GGUFError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        size = Int(st.st_size)
        guard size > 0 else { throw GGUFError.notGGUF(path: path) }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

/// A parsed GGUF (v2/v3) file: metadata, tensor table and memory-mapped tensor data.
public final class GGUFFile: @unchecked Sendable {   // immutable after init
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    public let tensors: [String: GGUFTensorInfo]
    /// Tensor names in file order.
    public let tensorNames: [String]
    let mapped: GGUFMappedFile?
    /// Tensors of an assembled file (another format's weights under GGUF names and metadata).
    private let assembled: [String: UnsafeRawPointer]
    private let keepAlive: [AnyObject]
    private let assembledBytes: Int

    /// A GGUF view of weights that live elsewhere (a safetensors folder): `data` points into
    /// memory that `keepAlive` owns.
    init(assembling path: String, metadata: [String: GGUFValue], tensors: [(GGUFTensorInfo, UnsafeRawPointer)],
         keepAlive: [AnyObject], bytes: Int) {
        self.path = path
        version = 3
        self.metadata = metadata
        self.tensors = Dictionary(tensors.map { ($0.0.name, $0.0) }, uniquingKeysWith: { a, _ in a })
        tensorNames = tensors.map(\.0.name)
        mapped = nil
        assembled = Dictionary(tensors.map { ($0.0.name, $0.1) }, uniquingKeysWith: { a, _ in a })
        self.keepAlive = keepAlive
        assembledBytes = bytes
    }

    public init(path: String) throws {
        self.path = path
        assembled = [:]
        keepAlive = []
        assembledBytes = 0
        let m = try GGUFMappedFile(path: path)
        mapped = m
        var r = GGUFReader(base: m.base, size: m.size)
        guard m.size >= 4, try r.bytes(4, "magic") == [0x47, 0x47, 0x55, 0x46] else { throw GGUFError.notGGUF(path: path) }
        version = try r.u32("version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
        let nTensors = try r.count("tensor count")
        let nKV = try r.count("metadata count")
        var md: [String: GGUFValue] = [:]
        for _ in 0..<nKV {
            let key = try r.string("metadata key")
            let type = try r.u32("metadata type of \(key)")
            md[key] = try r.value(type: type, what: key)
        }
        metadata = md
        let alignment = md["general.alignment"]?.int ?? 32
        guard alignment > 0, alignment & (alignment - 1) == 0 else { throw GGUFError.corrupt("general.alignment \(alignment) is not a power of two") }
        var infos: [(String, [Int], UInt32, Int)] = []
        for _ in 0..<nTensors {
            let name = try r.string("tensor name")
            let nd = Int(try r.u32("dimension count of \(name)"))
            guard nd >= 1, nd <= 4 else { throw GGUFError.corrupt("tensor \(name) has \(nd) dimensions") }
            var dims: [Int] = []
            for _ in 0..<nd {
                let d = try r.u64("dimension of \(name)")
                guard d > 0, d < 1 << 40 else { throw GGUFError.corrupt("tensor \(name) has dimension \(d)") }
                dims.append(Int(d))
            }
            let type = try r.u32("type of \(name)")
            let off = try r.u64("offset of \(name)")
            guard off < UInt64(m.size) else { throw GGUFError.truncated(what: "data of tensor \(name)", offset: Int(clamping: off)) }
            infos.append((name, dims, type, Int(off)))
        }
        let dataStart = (r.offset + alignment - 1) / alignment * alignment
        var table: [String: GGUFTensorInfo] = [:]
        var names: [String] = []
        for (name, dims, rawType, off) in infos {
            guard let type = GGMLType(rawValue: rawType) else { throw GGUFError.unknownTensorType(tensor: name, type: rawType) }
            guard dims[0] % type.blockSize == 0 else { throw GGUFError.corrupt("tensor \(name) row length \(dims[0]) is not a multiple of its block size") }
            // Each dimension is below 2^40, but their product (and its size in bytes) can overflow:
            // checked here, before GGUFTensorInfo.elementCount/byteCount compute them unchecked.
            var elements = 1
            for d in dims {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow else { throw GGUFError.corrupt("tensor \(name) has dimensions \(dims): too many elements") }
                elements = product
            }
            let (bytes, bytesOverflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
            let info = GGUFTensorInfo(name: name, dims: dims, type: type, fileOffset: dataStart + off)
            let (end, overflow) = info.fileOffset.addingReportingOverflow(bytes)
            guard !bytesOverflow, !overflow, end <= m.size else { throw GGUFError.truncated(what: "data of tensor \(name)", offset: info.fileOffset) }
            table[name] = info
            names.append(name)
        }
        tensors = table
        tensorNames = names
    }

    /// Pointer to the data of `name` (valid while this file lives).
    public func data(of name: String) throws -> (GGUFTensorInfo, UnsafeRawPointer) {
        guard let t = tensors[name] else { throw GGUFError.missingTensor(name) }
        if let mapped { return (t, mapped.base + t.fileOffset) }
        return (t, assembled[name]!)
    }

    public var fileSize: Int { mapped?.size ?? assembledBytes }

    public func int(_ key: String) throws -> Int {
        guard let v = metadata[key]?.int else { throw GGUFError.missingMetadata(key) }
        return v
    }
    public func double(_ key: String) throws -> Double {
        guard let v = metadata[key]?.double else { throw GGUFError.missingMetadata(key) }
        return v
    }
    public func string(_ key: String) throws -> String {
        guard let v = metadata[key]?.string else { throw GGUFError.missingMetadata(key) }
        return v
    }
}

/// Bounds-checked little-endian reader over the mapped header.
struct GGUFReader {
    let base: UnsafeRawPointer
    let size: Int
    var offset = 0

    mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= size - offset else { throw GGUFError.truncated(what: what, offset: offset) }
    }
    mutating func bytes(_ n: Int, _ what: String) throws -> [UInt8] {
        try need(n, what)
        defer { offset += n }
        return Array(UnsafeRawBufferPointer(start: base + offset, count: n))
    }
    mutating func load<T: FixedWidthInteger>(_ t: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        defer { offset += MemoryLayout<T>.size }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
    mutating func u32(_ w: String) throws -> UInt32 { try load(UInt32.self, w) }
    mutating func u64(_ w: String) throws -> UInt64 { try load(UInt64.self, w) }
    mutating func count(_ w: String) throws -> Int {
        let v = try u64(w)
        // Every entry takes at least one byte: a larger count than the bytes left runs past the end.
        guard v <= UInt64(size - offset) else { throw GGUFError.truncated(what: "\(w) (\(v))", offset: offset) }
        return Int(v)
    }
    mutating func string(_ what: String) throws -> String {
        let n = try count("length of \(what)")
        try need(n, what)
        defer { offset += n }
        let buf = UnsafeRawBufferPointer(start: base + offset, count: n)
        return String(decoding: buf, as: UTF8.self)
    }
    mutating func value(type: UInt32, what: String) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try load(UInt8.self, what)))
        case 1: return .int(Int64(try load(Int8.self, what)))
        case 2: return .uint(UInt64(try load(UInt16.self, what)))
        case 3: return .int(Int64(try load(Int16.self, what)))
        case 4: return .uint(UInt64(try load(UInt32.self, what)))
        case 5: return .int(Int64(try load(Int32.self, what)))
        case 6: return .float(Double(Float(bitPattern: try load(UInt32.self, what))))
        case 7: return .bool(try load(UInt8.self, what) != 0)
        case 8: return .string(try string(what))
        case 9:
            let et = try u32("array type of \(what)")
            let n = try count("array length of \(what)")
            var out: [GGUFValue] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try value(type: et, what: what)) }
            return .array(out)
        case 10: return .uint(try load(UInt64.self, what))
        case 11: return .int(try load(Int64.self, what))
        case 12: return .float(Double(bitPattern: try load(UInt64.self, what)))
        default: throw GGUFError.corrupt("metadata \(what) has unknown value type \(type)")
        }
    }
}
