import Foundation
import Inference
import Testing

@Suite struct GGUFLoaderTests {
    @Test func readsSmolLM2MetadataAndTensorTable() throws {
        guard let path = SmolLM.path else { throw SmolLM.Missing() }
        let f = try GGUFFile(path: path)
        #expect(f.version == 3)
        #expect(f.metadata["general.architecture"]?.string == "llama")
        #expect(f.metadata["llama.block_count"]?.int == 30)
        #expect(f.metadata["tokenizer.ggml.pre"]?.string == "smollm")
        #expect(f.tensors.count == 272)
        #expect(f.tensors.values.filter { $0.type == .q4_1 }.count == 210)
        #expect(f.tensors["token_embd.weight"]?.type == .q8_0)
        #expect(f.tensors["token_embd.weight"]?.dims == [576, 49152])
    }

    private func temp(_ bytes: [UInt8]) throws -> String {
        let p = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-\(UUID().uuidString).gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// A minimal GGUF v3: one metadata string, one tensor of `type` with `dims`.
    private func tiny(type: UInt32, dims: [UInt64] = [32], dataBytes: Int = 128, arch: String = "llama") -> [UInt8] {
        var b: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); b += Array(s.utf8) }
        u32(3); u64(1); u64(1)
        str("general.architecture"); u32(8); str(arch)
        str("t"); u32(UInt32(dims.count)); dims.forEach(u64); u32(type); u64(0)
        while b.count % 32 != 0 { b.append(0) }
        b += [UInt8](repeating: 0, count: dataBytes)
        return b
    }

    @Test func truncatedFileIsATypedError() throws {
        guard let path = SmolLM.path else { throw SmolLM.Missing() }
        let whole = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        for cut in [10, 3000, 1_000_000, whole.count - 100] {
            let p = try temp(Array(whole.prefix(cut)))
            defer { try? FileManager.default.removeItem(atPath: p) }
            #expect {
                _ = try GGUFFile(path: p)
            } throws: { e in
                if case GGUFError.truncated = e { return true } else { return false }
            }
        }
    }

    @Test func wrongMagicIsNotGGUF() throws {
        let p = try temp(Array("GGML and then some bytes".utf8))
        defer { try? FileManager.default.removeItem(atPath: p) }
        #expect(throws: GGUFError.notGGUF(path: p)) { _ = try GGUFFile(path: p) }
    }

    /// Regression (FuzzGGUF, Fuzz/crashes): dimensions each below 2^40 whose product, or its size in
    /// bytes, overflows Int trapped in GGUFTensorInfo.elementCount instead of being refused.
    @Test func tensorSizeOverflowIsATypedError() throws {
        let elementsOverflow = try temp(tiny(type: 0, dims: [1 << 39, 1 << 39]))
        let bytesOverflow = try temp(tiny(type: 0, dims: [1 << 39, 1 << 23]))   // 2^62 F32 = 2^64 bytes
        defer { for p in [elementsOverflow, bytesOverflow] { try? FileManager.default.removeItem(atPath: p) } }
        #expect {
            _ = try GGUFFile(path: elementsOverflow)
        } throws: { e in
            if case GGUFError.corrupt(let m) = e { return m.contains("too many elements") } else { return false }
        }
        #expect {
            _ = try GGUFFile(path: bytesOverflow)
        } throws: { e in
            if case GGUFError.truncated = e { return true } else { return false }
        }
    }

    @Test func unknownQuantisationIsNamed() throws {
        let p = try temp(tiny(type: 16))   // IQ2_XXS
        defer { try? FileManager.default.removeItem(atPath: p) }
        #expect(throws: GGUFError.unknownTensorType(tensor: "t", type: 16)) { _ = try GGUFFile(path: p) }
        let ok = try temp(tiny(type: 3))   // Q4_1 is fine
        defer { try? FileManager.default.removeItem(atPath: ok) }
        #expect(try GGUFFile(path: ok).tensors["t"]?.type == .q4_1)
    }

    @Test func unknownArchitectureIsRefused() throws {
        let p = try temp(tiny(type: 0, arch: "mamba"))
        defer { try? FileManager.default.removeItem(atPath: p) }
        #expect(throws: GGUFError.unsupportedArchitecture("mamba")) { _ = try LlamaModel.load(gguf: URL(fileURLWithPath: p), id: nil) }
    }

    @Test func tensorRunningPastTheEndIsTruncation() throws {
        let p = try temp(tiny(type: 0, dims: [32, 1000], dataBytes: 64))
        defer { try? FileManager.default.removeItem(atPath: p) }
        #expect { _ = try GGUFFile(path: p) } throws: { e in
            if case GGUFError.truncated = e { return true } else { return false }
        }
    }
}
