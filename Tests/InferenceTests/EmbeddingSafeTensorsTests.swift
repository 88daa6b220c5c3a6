import Foundation
import Inference
import Testing

/// The safetensors loader against files written by the `safetensors` package
/// (Fixtures/make_safetensors_fixture.py), and against broken files.
@Suite struct EmbeddingSafeTensorsTests {
    static func expected(_ name: String) throws -> [Float] {
        let object = try EmbeddingFixtures.json("dtypes.json")
        let values = ((object["expected"] as? [String: Any])?[name] as? [Any]) ?? []
        return values.map { value in
            switch value {
            case let s as String: return s.hasPrefix("-") ? -.infinity : .infinity
            case let n as NSNumber: return Float(n.doubleValue)
            default: return .nan
            }
        }
    }

    @Test(arguments: ["values.f32", "values.f16", "values.bf16"])
    func floatDTypesReadAsTorchReadsThem(name: String) throws {
        let file = try SafeTensorsFile(url: EmbeddingFixtures.url("dtypes.safetensors"))
        let tensor = try file.floats(name, shape: [4, 4])
        let want = try Self.expected(name)
        #expect(want.count == 16)
        #expect(Array(tensor.buffer).map(\.bitPattern) == want.map(\.bitPattern))
        #expect(file.metadata["format"] == "pt")
    }

    @Test func f32WeightsAreUsedInPlaceFromTheMapping() throws {
        let file = try SafeTensorsFile(url: EmbeddingFixtures.url("dtypes.safetensors"))
        #expect(try file.floats("values.f32").isMapped)
        #expect(try !file.floats("values.f16").isMapped)
        #expect(try file.info("scalar").shape == [])
    }

    @Test func integerTensorsAndMissingNamesAreTypedErrors() throws {
        let file = try SafeTensorsFile(url: EmbeddingFixtures.url("dtypes.safetensors"))
        #expect(throws: SafeTensorsError.unsupportedDType(path: file.path, tensor: "ids.i64", dtype: "I64")) {
            try file.floats("ids.i64")
        }
        #expect(throws: SafeTensorsError.missingTensor(path: file.path, tensor: "nope")) { try file.floats("nope") }
        #expect(throws: SafeTensorsError.shapeMismatch(path: file.path, tensor: "values.f32", expected: [16], found: [4, 4])) {
            try file.floats("values.f32", shape: [16])
        }
    }

    static func write(_ bytes: [UInt8]) throws -> URL {
        let url = try EmbeddingFixtures.temporaryDirectory().appendingPathComponent("model.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    static func file(header: String, data: Int) -> [UInt8] {
        let h = Array(header.utf8)
        var bytes: [UInt8] = (0..<8).map { UInt8((h.count >> (8 * $0)) & 0xFF) }
        bytes += h
        bytes += [UInt8](repeating: 0, count: data)
        return bytes
    }

    @Test func truncatedFileIsATypedError() throws {
        let original = try Array(Data(contentsOf: EmbeddingFixtures.url("dtypes.safetensors")))
        // Cut inside the data: the last tensor's range runs past the end.
        let cutData = try Self.write(Array(original.dropLast(10)))
        #expect {
            try SafeTensorsFile(url: cutData)
        } throws: { error in
            guard case SafeTensorsError.dataOutOfBounds = error else { return false }
            return "\(error)".contains("truncated")
        }
        // Cut inside the header.
        let cutHeader = try Self.write(Array(original.prefix(40)))
        #expect {
            try SafeTensorsFile(url: cutHeader)
        } throws: { error in
            guard case SafeTensorsError.headerLengthOutOfRange = error else { return false }
            return true
        }
        let tiny = try Self.write([1, 2, 3])
        #expect(throws: SafeTensorsError.fileTooSmall(path: tiny.path, size: 3)) { try SafeTensorsFile(url: tiny) }
    }

    @Test func corruptHeaderIsATypedError() throws {
        let notJSON = try Self.write(Self.file(header: "{not json", data: 0))
        #expect {
            try SafeTensorsFile(url: notJSON)
        } throws: { error in
            guard case SafeTensorsError.headerNotJSON = error else { return false }
            return true
        }
        let wrongSize = try Self.write(Self.file(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, data: 16))
        #expect {
            try SafeTensorsFile(url: wrongSize)
        } throws: { error in
            guard case SafeTensorsError.invalidEntry(_, "w", _) = error else { return false }
            return true
        }
        let unknownType = try Self.write(Self.file(header: #"{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}}"#, data: 1))
        #expect(throws: SafeTensorsError.unsupportedDType(path: unknownType.path, tensor: "w", dtype: "Q4")) {
            try SafeTensorsFile(url: unknownType)
        }
        let badOffsets = try Self.write(Self.file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: 8))
        #expect {
            try SafeTensorsFile(url: badOffsets)
        } throws: { error in
            guard case SafeTensorsError.invalidEntry(_, "w", _) = error else { return false }
            return true
        }
    }

    @Test func unalignedF32DataIsCopiedNotMisread() throws {
        var header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        // Pad the header so the data starts at an offset that is not a multiple of 4.
        while (8 + header.utf8.count) % 4 != 3 { header += " " }
        var bytes = Self.file(header: header, data: 0)
        for v: Float in [1.5, -2.25] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        let file = try SafeTensorsFile(url: Self.write(bytes))
        let tensor = try file.floats("w")
        #expect(!tensor.isMapped)
        #expect(Array(tensor.buffer) == [1.5, -2.25])
    }
}
