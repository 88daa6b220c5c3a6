import Foundation

/// Why a safetensors file could not be read. Each message names the file and what to do.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case fileTooSmall(path: String, size: Int)
    case headerLengthOutOfRange(path: String, declared: UInt64, fileSize: Int)
    case headerNotJSON(path: String, reason: String)
    case invalidEntry(path: String, tensor: String, reason: String)
    case dataOutOfBounds(path: String, tensor: String, end: Int, dataSize: Int)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case missingTensor(path: String, tensor: String)
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .fileTooSmall(let path, let size):
            return "\(path) is not a safetensors file: \(size) bytes is shorter than the 8-byte header length (truncated download?)"
        case .headerLengthOutOfRange(let path, let declared, let fileSize):
            return "\(path) is truncated or corrupt: its header claims \(declared) bytes but the file has \(fileSize)"
        case .headerNotJSON(let path, let reason):
            return "\(path) is corrupt: the safetensors header is not a JSON object of tensors (\(reason))"
        case .invalidEntry(let path, let tensor, let reason):
            return "\(path) is corrupt: tensor '\(tensor)' \(reason)"
        case .dataOutOfBounds(let path, let tensor, let end, let dataSize):
            return "\(path) is truncated: tensor '\(tensor)' ends at byte \(end) of the data but the file holds \(dataSize) data bytes"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype); only F32, F16 and BF16 weights can be loaded"
        case .missingTensor(let path, let tensor):
            return "\(path) has no tensor '\(tensor)'; is this the model the configuration describes?"
        case .shapeMismatch(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(tensor)' has shape \(found) but the configuration implies \(expected)"
        }
    }
}

public enum SafeTensorDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }
}

public struct SafeTensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: SafeTensorDType
    public var shape: [Int]
    /// Byte range inside the whole file (header included).
    public var fileRange: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file, memory-mapped: the header is parsed and checked once; tensor data is read
/// from the mapping (F32 weights without a copy).
public final class SafeTensorsFile: Sendable {
    public let path: String
    public let file: MappedFile
    public let tensors: [String: SafeTensorInfo]
    public let metadata: [String: String]

    public convenience init(url: URL) throws { try self.init(path: url.path) }

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw SafeTensorsError.fileTooSmall(path: path, size: bytes.count) }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard declared <= UInt64(bytes.count - 8) else {
            throw SafeTensorsError.headerLengthOutOfRange(path: path, declared: declared, fileSize: bytes.count)
        }
        let headerEnd = 8 + Int(declared)
        let header = Data(bytes[8..<headerEnd])
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw SafeTensorsError.headerNotJSON(path: path, reason: "\(error.localizedDescription)")
        }
        guard let object = parsed as? [String: Any] else {
            throw SafeTensorsError.headerNotJSON(path: path, reason: "top level is not an object")
        }
        let dataSize = bytes.count - headerEnd
        var tensors: [String: SafeTensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = v as? String }
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, path: path, headerEnd: headerEnd, dataSize: dataSize)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func parseEntry(name: String, value: Any, path: String, headerEnd: Int, dataSize: Int) throws -> SafeTensorInfo {
        func bad(_ reason: String) -> SafeTensorsError { .invalidEntry(path: path, tensor: name, reason: reason) }
        guard let entry = value as? [String: Any] else { throw bad("is not an object") }
        guard let dtypeName = entry["dtype"] as? String else { throw bad("has no dtype") }
        guard let dtype = SafeTensorDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = entry["shape"] as? [Any] else { throw bad("has no shape") }
        var shape: [Int] = []
        for v in shapeValues {
            guard let d = integer(v), d >= 0 else { throw bad("has a shape that is not a list of sizes") }
            shape.append(d)
        }
        guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
              let begin = integer(offsets[0]), let end = integer(offsets[1]), begin >= 0, begin <= end else {
            throw bad("has data_offsets that are not [begin, end]")
        }
        guard end <= dataSize else {
            throw SafeTensorsError.dataOutOfBounds(path: path, tensor: name, end: end, dataSize: dataSize)
        }
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw bad("has an impossibly large shape \(shape)") }
            elements = product
        }
        guard elements * dtype.byteSize == end - begin else {
            throw bad("has shape \(shape) of \(dtypeName) (\(elements * dtype.byteSize) bytes) but \(end - begin) data bytes")
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, fileRange: (headerEnd + begin)..<(headerEnd + end))
    }

    private static func integer(_ value: Any) -> Int? {
        if let i = value as? Int { return i }
        if let n = value as? NSNumber {
            let d = n.doubleValue
            guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
            return Int(d)
        }
        return nil
    }

    public func info(_ name: String) throws -> SafeTensorInfo {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, tensor: name) }
        return info
    }

    /// The tensor as 32-bit floats. F32 data is used in place when aligned; F16/BF16 are widened.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws -> FloatTensor {
        let info = try info(name)
        if let expected, expected != info.shape {
            throw SafeTensorsError.shapeMismatch(path: path, tensor: name, expected: expected, found: info.shape)
        }
        let raw = UnsafeRawBufferPointer(rebasing: file.bytes[info.fileRange])
        let n = info.elementCount
        switch info.dtype {
        case .f32:
            if let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                return FloatTensor(shape: info.shape, mapped: base.assumingMemoryBound(to: Float.self), owner: file)
            }
            return FloatTensor(shape: info.shape) { out in
                for i in 0..<n { out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            }
        case .f16:
            return FloatTensor(shape: info.shape) { out in
                for i in 0..<n { out[i] = halfToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        case .bf16:
            return FloatTensor(shape: info.shape) { out in
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
            }
        default:
            throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: info.dtype.rawValue)
        }
    }
}

/// IEEE 754 binary16 (little-endian bits) to Float, subnormals, infinities and NaN included.
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
        // Zero or subnormal: mantissa × 2^-24, exact in Float.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}

/// A read-only float tensor, either pointing into a mapped file or owning its storage.
public final class FloatTensor: @unchecked Sendable {
    // Never written after init, so it can be read from any thread.
    public let shape: [Int]
    public let count: Int
    public let pointer: UnsafePointer<Float>
    private let owner: AnyObject?
    private let owned: UnsafeMutablePointer<Float>?

    init(shape: [Int], mapped: UnsafePointer<Float>, owner: AnyObject) {
        self.shape = shape
        count = shape.reduce(1, *)
        pointer = mapped
        self.owner = owner
        owned = nil
    }

    init(shape: [Int], fill: (UnsafeMutablePointer<Float>) -> Void) {
        self.shape = shape
        count = shape.reduce(1, *)
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        fill(storage)
        pointer = UnsafePointer(storage)
        owned = storage
        owner = nil
    }

    deinit { owned?.deallocate() }

    /// True when the data lives in the mapped file rather than on the heap.
    public var isMapped: Bool { owned == nil }
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
}
