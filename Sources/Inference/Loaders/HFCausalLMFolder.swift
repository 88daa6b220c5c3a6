import Foundation

/// A Hugging Face causal-LM folder (`config.json`, `model.safetensors` or shards with
/// `model.safetensors.index.json`, `tokenizer.json`, `tokenizer_config.json`) presented as the
/// GGUF its conversion would give: the same metadata keys and tensor names, pointing into the
/// mapped safetensors, so the decoder runs it unchanged.
enum HFCausalLMFolder {
    static let architectures = ["LlamaForCausalLM": "llama", "MistralForCausalLM": "llama",
                                "Qwen2ForCausalLM": "qwen2", "Qwen3ForCausalLM": "qwen3"]

    static func isCausalLM(_ config: HFConfig) -> Bool { config.architectures.contains { architectures[$0] != nil } }

    static func assemble(folder: URL) throws -> GGUFFile {
        let path = folder.path
        func fail(_ what: String) -> ModelLoadError { .unsupported(path: path, what: what) }
        let config = try json(folder.appendingPathComponent("config.json"))
        guard let archName = (config["architectures"] as? [String])?.first(where: { architectures[$0] != nil }),
              let arch = architectures[archName] else { throw fail("a config.json without a supported causal-LM architecture") }
        func int(_ k: String) throws -> Int {
            guard let v = config[k] as? NSNumber else { throw ModelLoadError.unsupported(path: path, what: "config.json without \(k)") }
            return v.intValue
        }
        let layers = try int("num_hidden_layers"), dim = try int("hidden_size"), heads = try int("num_attention_heads")
        let kvHeads = (config["num_key_value_heads"] as? NSNumber)?.intValue ?? heads
        let headDim = (config["head_dim"] as? NSNumber)?.intValue ?? dim / heads
        var md: [String: GGUFValue] = [
            "general.architecture": .string(arch),
            "\(arch).block_count": .uint(UInt64(layers)),
            "\(arch).embedding_length": .uint(UInt64(dim)),
            "\(arch).feed_forward_length": .uint(UInt64(try int("intermediate_size"))),
            "\(arch).attention.head_count": .uint(UInt64(heads)),
            "\(arch).attention.head_count_kv": .uint(UInt64(kvHeads)),
            "\(arch).attention.key_length": .uint(UInt64(headDim)),
            "\(arch).attention.value_length": .uint(UInt64(headDim)),
            "\(arch).context_length": .uint(UInt64((config["max_position_embeddings"] as? NSNumber)?.intValue ?? 2048)),
            "\(arch).rope.freq_base": .float((config["rope_theta"] as? NSNumber)?.doubleValue ?? 10000),
            "\(arch).attention.layer_norm_rms_epsilon": .float((config["rms_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-6),
        ]
        if arch == "llama" { md[LlamaConfig.neoxKey] = .bool(true) }
        var owned: [AnyObject] = []
        var extra: [(GGUFTensorInfo, UnsafeRawPointer)] = []
        if let scaling = config["rope_scaling"] as? [String: Any] {
            let type = (scaling["rope_type"] ?? scaling["type"]) as? String ?? "none"
            let factor = (scaling["factor"] as? NSNumber)?.doubleValue ?? 1
            switch type {
            case "linear":
                md["\(arch).rope.scaling.type"] = .string("linear")
                md["\(arch).rope.scaling.factor"] = .float(factor)
            case "llama3":
                let freqs = llama3RopeFactors(scaling, headDim: headDim, base: (config["rope_theta"] as? NSNumber)?.doubleValue ?? 10000)
                owned.append(freqs)
                extra.append((GGUFTensorInfo(name: "rope_freqs.weight", dims: [freqs.count], type: .f32, fileOffset: 0), UnsafeRawPointer(freqs.pointer)))
            case "yarn":
                // As convert_hf_to_gguf writes it; a custom magnitude (DeepSeek's mscale) is not read.
                for k in ["attention_factor", "mscale", "mscale_all_dim"] where (scaling[k] as? NSNumber).map({ $0.doubleValue != 1 }) ?? false {
                    throw fail("YaRN RoPE scaling with '\(k)'")
                }
                md["\(arch).rope.scaling.type"] = .string("yarn")
                md["\(arch).rope.scaling.factor"] = .float(factor)
                if let original = (scaling["original_max_position_embeddings"] as? NSNumber)?.intValue {
                    md["\(arch).rope.scaling.original_context_length"] = .uint(UInt64(original))
                }
            case "default", "none": break
            default: throw fail("RoPE scaling '\(type)'")
            }
        }
        try HFTokenizerJSON.addMetadata(folder: folder, to: &md)

        // Weights: one file, or shards listed by the index.
        var files: [String: SafeTensorsFile] = [:]
        var shardOf: [String: String] = [:]
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: index.path) {
            guard let map = try json(index)["weight_map"] as? [String: String] else { throw fail("a shard index without weight_map") }
            for (tensor, file) in map {
                guard !file.contains("/"), !file.hasPrefix(".") else { throw fail("shard name \(file)") }
                shardOf[tensor] = file
            }
        } else {
            let st = try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors"))
            files["model.safetensors"] = st
            for name in st.tensors.keys { shardOf[name] = "model.safetensors" }
        }
        var tensors = extra
        var bytes = 0
        for (hf, file) in shardOf {
            guard let gguf = ggufName(hf) else { continue }
            if files[file] == nil { files[file] = try SafeTensorsFile(url: folder.appendingPathComponent(file)) }
            let st = files[file]!
            let info = try st.info(hf)
            let type: GGMLType
            switch info.dtype {
            case .f32: type = .f32
            case .f16: type = .f16
            case .bf16: type = .bf16
            default: throw fail("tensor \(hf) stored as \(info.dtype.rawValue) (F32, F16 and BF16 are)")
            }
            let base = st.file.bytes.baseAddress! + info.fileRange.lowerBound
            tensors.append((GGUFTensorInfo(name: gguf, dims: info.shape.reversed(), type: type, fileOffset: 0), base))
            bytes += info.fileRange.count
        }
        owned.append(contentsOf: files.values.map { $0 as AnyObject })
        return GGUFFile(assembling: path, metadata: md, tensors: tensors, keepAlive: owned, bytes: bytes)
    }

    /// GGUF's name for a Hugging Face tensor name; nil for tensors the decoder does not use.
    static func ggufName(_ hf: String) -> String? {
        let fixed = ["model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
                     "lm_head.weight": "output.weight"]
        if let f = fixed[hf] { return f }
        let parts = hf.split(separator: ".")
        guard parts.count >= 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]) else { return nil }
        let rest = parts[3...].joined(separator: ".")
        let names = ["self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
                     "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
                     "self_attn.q_proj.bias": "attn_q.bias", "self_attn.k_proj.bias": "attn_k.bias",
                     "self_attn.v_proj.bias": "attn_v.bias",
                     "self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight",
                     "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
                     "mlp.down_proj.weight": "ffn_down.weight",
                     "input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight"]
        return names[rest].map { "blk.\(layer).\($0)" }
    }

    /// Llama 3's frequency divisors, computed as the GGUF conversion computes them.
    static func llama3RopeFactors(_ s: [String: Any], headDim: Int, base: Double) -> FloatTensor {
        let factor = (s["factor"] as? NSNumber)?.doubleValue ?? 8
        let low = (s["low_freq_factor"] as? NSNumber)?.doubleValue ?? 1
        let high = (s["high_freq_factor"] as? NSNumber)?.doubleValue ?? 4
        let original = (s["original_max_position_embeddings"] as? NSNumber)?.doubleValue ?? 8192
        let lowWavelen = original / low, highWavelen = original / high
        return FloatTensor(shape: [headDim / 2]) { out in
            for i in 0..<(headDim / 2) {
                let freq = 1 / pow(base, Double(2 * i) / Double(headDim))
                let wavelen = 2 * Double.pi / freq
                if wavelen < highWavelen {
                    out[i] = 1
                } else if wavelen > lowWavelen {
                    out[i] = Float(factor)
                } else {
                    let smooth = (original / wavelen - low) / (high - low)
                    out[i] = Float(1 / ((1 - smooth) / factor + smooth))
                }
            }
        }
    }

    static func json(_ url: URL) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw ModelLoadError.unsupported(path: url.path, what: "a JSON file that is not an object")
        }
        return o
    }
}
