#!/usr/bin/env python3
"""Writes the generated seed inputs of Fuzz/corpus/ (small, deterministic).

The CAR, dag-pb and CID seeds were made with `ipfs-accelerate add` / `dag export` / `block get`
(Kubo-compatible import; see docs/reliability.md) and are kept as files; everything else comes
from this script: GGUF headers (the `gguf` package), safetensors files, tokenizer.json folders
(cut down from the test models' tokenizers), chat templates (Tests/InferenceTests/Fixtures/chat),
Kubo multipart bodies, ndjson commits, LFS batch requests, Range headers and OpenAI requests.
Run from the repository root: python3 Fuzz/make_seeds.py
"""
import base64
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")
REPO = os.path.dirname(ROOT)


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gguf_seeds():
    try:
        import gguf
        import numpy as np
    except ImportError:
        print("gguf/numpy missing: GGUF seeds skipped", file=sys.stderr)
        return
    import tempfile
    tmp = tempfile.mkdtemp()
    cases = {
        "tiny-f32": [("w", np.arange(8, dtype=np.float32).reshape(2, 4))],
        "tiny-f16": [("w", np.ones((2, 32), dtype=np.float16)), ("b", np.zeros(32, dtype=np.float32))],
        "no-tensors": [],
    }
    for name, tensors in cases.items():
        path = os.path.join(tmp, name + ".gguf")
        w = gguf.GGUFWriter(path, "llama")
        w.add_block_count(1)
        w.add_context_length(64)
        w.add_uint32("test.u32", 7)
        w.add_int64("test.i64", -3)
        w.add_float32("test.f32", 0.5)
        w.add_bool("test.bool", True)
        w.add_array("test.array", [1, 2, 3])
        w.add_array("tokenizer.ggml.tokens", ["<s>", "</s>", "a", "b"])
        w.add_string("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")
        for tname, arr in tensors:
            w.add_tensor(tname, arr)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        with open(path, "rb") as f:
            put("FuzzGGUF", name + ".gguf", f.read())
    # The first bytes of a real model's header (tensor data cut off).
    real = os.path.join(REPO, ".build-fixtures/arch/llama-Q2_K.gguf")
    if os.path.exists(real):
        with open(real, "rb") as f:
            put("FuzzGGUF", "llama-Q2_K-head.gguf", f.read(8192))


def safetensors(header, data=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def safetensors_seeds():
    put("FuzzSafeTensors", "f32.safetensors", safetensors(
        {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "__metadata__": {"format": "pt"}},
        struct.pack("<4f", 1, 2, 3, 4)))
    put("FuzzSafeTensors", "f16-bf16.safetensors", safetensors(
        {"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
         "b": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]},
         "c": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]}},
        bytes(range(16))))
    put("FuzzSafeTensors", "empty-tensor.safetensors", safetensors(
        {"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]}}))
    fixture = os.path.join(REPO, "Tests/InferenceTests/Fixtures/dtypes.safetensors")
    if os.path.exists(fixture):
        with open(fixture, "rb") as f:
            put("FuzzSafeTensors", "dtypes.safetensors", f.read())


def tokenizer_seeds():
    src = os.path.join(REPO, ".build-fixtures/hf")
    pre = {
        "gpt2": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "smollm": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                         {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}]},
        "llama3": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
    }
    vocab = {t: i for i, t in enumerate(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "c", "Ġ", "Ġa", "ab", "abc"])}
    for name, p in pre.items():
        tj = {"version": "1.0", "added_tokens": [
                  {"id": 0, "content": "<|endoftext|>", "special": True},
                  {"id": 1, "content": "<|im_start|>", "special": True},
                  {"id": 2, "content": "<|im_end|>", "special": True}],
              "pre_tokenizer": p,
              "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}},
                                                                           {"Sequence": {"id": "A", "type_id": 0}}]},
              "model": {"type": "BPE", "vocab": vocab,
                        "merges": ["Ġ a", "a b"] if name != "llama3" else [["a", "b"], ["ab", "c"]]}}
        cfg = {"bos_token": "<|im_start|>", "eos_token": {"content": "<|im_end|>"},
               "chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}
        if name == "smollm":
            cfg = {"bos_token": "<|im_start|>", "add_bos_token": False,
                   "chat_template": [{"name": "default", "template": "{{ messages[0].content }}"}]}
        put("FuzzTokenizerJSON", name + ".bin", json.dumps(tj).encode() + b"\0" + json.dumps(cfg).encode())
    put("FuzzTokenizerJSON", "no-config.bin", json.dumps({"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": pre["gpt2"]}))
    # Real tokenizer_config files of the test models, with a tiny tokenizer.json.
    for model in ("qwen2", "llama-gqa"):
        cfg = os.path.join(src, model, "tokenizer_config.json")
        if os.path.exists(cfg):
            with open(cfg, "rb") as f:
                put("FuzzTokenizerJSON", model + "-config.bin",
                    json.dumps({"model": {"type": "BPE", "vocab": vocab, "merges": []}, "pre_tokenizer": pre["gpt2"]}).encode() + b"\0" + f.read())


def chat_seeds():
    with open(os.path.join(REPO, "Tests/InferenceTests/Fixtures/chat/chat_templates.json")) as f:
        templates = json.load(f)["templates"]
    for t in templates:
        src = t["template"].encode()
        if len(src) <= 4096:
            put("FuzzChatTemplate", t["name"].replace("/", "_") + ".jinja", src)
    extras = {
        "filters.jinja": "{{ 'Ab' | lower | upper | trim | replace('A', 'b') }}{{ [3,1,2] | sort | join(',') }}{{ messages | length }}{{ {'a': 1} | tojson }}",
        "macros.jinja": "{% macro f(x, y=2) %}{{ x + y }}{% endmacro %}{{ f(1) }}{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}",
        "control.jinja": "{% if tools is none %}none{% elif tools | length > 0 %}{{ tools[0].name }}{% else %}x{% endif %}{% for i in range(3) if i != 1 %}{{ loop.index }}{{ loop.last }}{% else %}e{% endfor %}",
        "strings.jinja": "{{ messages[0]['content'].split(' ')[1:] }}{{ 'x'.startswith('x') }}{{ '%d-%s' % (1, 'a') }}{{ strftime_now('%Y-%m-%d') }}{{ raise_exception('no') if false }}",
        "raw.jinja": "{%- raw -%}{{ not rendered }}{%- endraw -%}{# comment #}{{- bos_token -}}{{ eos_token ~ '!' }}",
    }
    for name, src in extras.items():
        put("FuzzChatTemplate", name, src)


def multipart_seeds():
    b = "----fuzzboundary"
    def body(parts):
        out = b""
        for headers, content in parts:
            out += b"--" + b.encode() + b"\r\n"
            for h in headers:
                out += h.encode() + b"\r\n"
            out += b"\r\n" + content + b"\r\n"
        return out + b"--" + b.encode() + b"--\r\n"
    ct = f"multipart/form-data; boundary={b}\n".encode()
    put("FuzzKuboMultipart", "one-file.bin", ct + body([(['Content-Disposition: form-data; name="file"; filename="hello.txt"',
                                                          "Content-Type: application/octet-stream"], b"hello world\n")]))
    put("FuzzKuboMultipart", "dir.bin", ct + body([
        (['Content-Disposition: form-data; name="file"; filename="d"', "Content-Type: application/x-directory"], b""),
        (['Content-Disposition: form-data; name="file"; filename="d%2Fa.txt"', "Content-Type: application/octet-stream"], b"a"),
        ([], b"no headers")]))
    put("FuzzKuboMultipart", "quoted-boundary.bin", b'multipart/form-data; boundary="q b"\n--q b\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--q b--')


def commit_seeds():
    def nd(lines):
        return b"\x40" + b"\n".join(json.dumps(l).encode() for l in lines) + b"\n"
    put("FuzzCommitStream", "basic.ndjson", nd([
        {"key": "header", "value": {"summary": "add files", "description": "", "parentCommit": "0" * 40}},
        {"key": "file", "value": {"path": "a.txt", "content": base64.b64encode(b"hello commit").decode(), "encoding": "base64"}},
        {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": "a" * 64, "size": 123}},
        {"key": "deletedFile", "value": {"path": "old.txt"}},
        {"key": "deletedFolder", "value": {"path": "old/"}}]))
    put("FuzzCommitStream", "escaped.ndjson", b"\x02" + b'{"key":"file","value":{"content" : "aGVs\\/bG8=","path":"p"}}\n')
    put("FuzzCommitStream", "header-only.ndjson", b"\xff" + b'{"key":"header","value":{"summary":"s"}}')


def lfs_seeds():
    put("FuzzLFSBatch", "upload.json", json.dumps({"operation": "upload", "transfers": ["basic", "multipart"],
        "objects": [{"oid": "ab" * 32, "size": 5}, {"oid": "cd" * 32, "size": 200 * 1024 * 1024}, {"oid": "xyz", "size": -1}],
        "hash_algo": "sha256"}))
    put("FuzzLFSBatch", "download.json", json.dumps({"operation": "download", "objects": [{"oid": "ef" * 32, "size": 1}],
                                                     "ref": {"name": "refs/heads/main"}}))


def range_seeds():
    for i, h in enumerate(["bytes=0-99", "bytes=-5", "bytes=10-", "bytes=5-3", "bytes=0-0,2-3", "0:*", "-10:-1", "bytes=9223372036854775807-"]):
        put("FuzzRange", f"r{i}.bin", struct.pack("<Q", 1000 + i * 997) + h.encode())


def openai_seeds():
    put("FuzzOpenAIRequest", "chat.json", json.dumps({"model": "m", "messages": [{"role": "system", "content": "s"},
        {"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 8, "temperature": 0.7, "top_p": 0.9,
        "stream": True, "stop": ["\n"], "seed": 1, "n": 2, "logprobs": True, "top_logprobs": 2, "user": "u"}))
    put("FuzzOpenAIRequest", "completion.json", json.dumps({"model": "m", "prompt": [[1, 2, 3], "text"], "echo": False,
        "max_tokens": 4, "frequency_penalty": 0.5, "presence_penalty": -0.5, "stop": "x", "logit_bias": {"1": -100}}))
    put("FuzzOpenAIRequest", "embeddings.json", json.dumps({"model": "e", "input": ["a", "b"], "encoding_format": "base64", "dimensions": 8}))
    put("FuzzOpenAIRequest", "embeddings-ids.json", json.dumps({"model": "e", "input": [[1, 2], [3]]}))


if __name__ == "__main__":
    gguf_seeds()
    safetensors_seeds()
    tokenizer_seeds()
    chat_seeds()
    multipart_seeds()
    commit_seeds()
    lfs_seeds()
    range_seeds()
    openai_seeds()
