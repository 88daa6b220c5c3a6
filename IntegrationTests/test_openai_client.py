"""The model server driven by the official `openai` client, on the real models
(all-MiniLM-L6-v2 embeddings, SmolLM2-135M-Instruct generation)."""
import base64
import math
import struct

import numpy as np
import openai
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from tokenizers import Tokenizer

from conftest import Server
from model_server_support import client, minilm_dir, smollm_gguf, wait_ready

EMBED = minilm_dir()
LLM = smollm_gguf()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("openai"), env={
        "HF_SERVER_PRELOAD_MODELS": f"{EMBED},{LLM}",
        "HF_SERVER_ENABLE_CACHING": "false",
    })
    wait_ready(s)
    yield s
    s.stop()


def test_embeddings_float_base64_and_usage_from_the_tokenizer(server):
    c = client(server)
    texts = ["The quick brown fox jumps over the lazy dog.", "IPFS addresses content by its hash."]
    r = c.embeddings.create(model=EMBED, input=texts, encoding_format="float")
    assert [d.index for d in r.data] == [0, 1]
    vectors = [np.array(d.embedding) for d in r.data]
    assert all(len(v) == 384 for v in vectors)
    assert all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in vectors)  # the model normalises
    tok = Tokenizer.from_file(EMBED + "/tokenizer.json")
    tok.no_padding()  # the file pads to 128 for batch use
    assert r.usage.prompt_tokens == sum(len(tok.encode(t).ids) for t in texts)
    assert r.usage.total_tokens == r.usage.prompt_tokens
    # The client's default asks for base64 and decodes it itself.
    b = c.embeddings.create(model=EMBED, input=texts)
    assert np.allclose(np.array([d.embedding for d in b.data]), np.array(vectors), atol=1e-7)
    raw = requests.post(server.url + "/v1/embeddings", json={"model": EMBED, "input": texts[0], "encoding_format": "base64"}).json()
    decoded = struct.unpack("<384f", base64.b64decode(raw["data"][0]["embedding"]))
    assert np.allclose(decoded, vectors[0], atol=1e-7)
    single = c.embeddings.create(model=EMBED, input=texts[1], encoding_format="float")
    assert np.allclose(single.data[0].embedding, vectors[1], atol=1e-5)
    # Related sentences are closer than unrelated ones.
    s = c.embeddings.create(model=EMBED, input=["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock prices fell sharply."],
                            encoding_format="float")
    e = [np.array(d.embedding) for d in s.data]
    assert e[0] @ e[1] > e[0] @ e[2] + 0.2


def test_dimensions_other_than_the_models_are_refused(server):
    with pytest.raises(openai.BadRequestError) as err:
        client(server).embeddings.create(model=EMBED, input="x", dimensions=128)
    assert err.value.param == "dimensions"


def test_completion_greedy_is_deterministic_and_counts_tokens(server):
    c = client(server)
    a = c.completions.create(model=LLM, prompt="The capital of France is", max_tokens=8, temperature=0, logprobs=2)
    b = c.completions.create(model=LLM, prompt="The capital of France is", max_tokens=8, temperature=0)
    assert a.choices[0].text == b.choices[0].text and a.choices[0].text
    assert a.object == "text_completion"
    lp = a.choices[0].logprobs
    assert len(lp.tokens) == a.usage.completion_tokens <= 8
    assert all(x <= 0 for x in lp.token_logprobs)
    assert all(len(t) <= 2 for t in lp.top_logprobs)
    assert "".join(lp.tokens) == a.choices[0].text
    assert a.usage.prompt_tokens >= 5
    assert a.usage.total_tokens == a.usage.prompt_tokens + a.usage.completion_tokens


def test_chat_uses_the_template_seed_repeats_and_n_gives_two_choices(server):
    c = client(server)
    msgs = [{"role": "system", "content": "You are brief."}, {"role": "user", "content": "Name a colour."}]
    x = c.chat.completions.create(model=LLM, messages=msgs, max_tokens=12, temperature=0.9, seed=7, n=2)
    y = c.chat.completions.create(model=LLM, messages=msgs, max_tokens=12, temperature=0.9, seed=7, n=2)
    assert len(x.choices) == 2 and [ch.index for ch in x.choices] == [0, 1]
    assert [ch.message.content for ch in x.choices] == [ch.message.content for ch in y.choices]
    assert x.choices[0].message.role == "assistant"
    assert x.choices[0].finish_reason in ("stop", "length")
    assert x.usage.completion_tokens <= 24
    # The template's framing counts: the prompt is longer than the bare text.
    assert x.usage.prompt_tokens > 10


def test_chat_logprobs_with_alternatives(server):
    r = client(server).chat.completions.create(model=LLM, messages=[{"role": "user", "content": "Say hi"}],
                                               max_tokens=5, temperature=0, logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens
    for t in content:
        assert len(t.top_logprobs) == 3
        assert t.logprob <= 0
        # Greedy: the chosen token is the most likely one.
        assert math.isclose(t.logprob, max(a.logprob for a in t.top_logprobs), abs_tol=1e-4)


def test_streaming_chat_with_usage_matches_the_non_streamed_answer(server):
    c = client(server)
    msgs = [{"role": "user", "content": "What is 2+2?"}]
    whole = c.chat.completions.create(model=LLM, messages=msgs, max_tokens=16, temperature=0)
    stream = c.chat.completions.create(model=LLM, messages=msgs, max_tokens=16, temperature=0, stream=True,
                                       stream_options={"include_usage": True})
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for ch in chunk.choices:
            text += ch.delta.content or ""
            finish = ch.finish_reason or finish
    assert text == whole.choices[0].message.content
    assert usage.completion_tokens == whole.usage.completion_tokens
    assert usage.prompt_tokens == whole.usage.prompt_tokens
    assert finish == whole.choices[0].finish_reason


def test_streaming_completion_n2_ends_with_done(server):
    with requests.post(server.url + "/v1/completions", json={"model": LLM, "prompt": "Once upon a time", "max_tokens": 6,
                                                             "temperature": 0, "n": 2, "stream": True}, stream=True, timeout=120) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines(decode_unicode=True) if line]
    assert events[-1] == "data: [DONE]"
    per_choice = {0: "", 1: ""}
    for e in events[:-1]:
        import json
        for ch in json.loads(e[len("data: "):])["choices"]:
            per_choice[ch["index"]] += ch["text"]
    assert per_choice[0] == per_choice[1] != ""


def test_errors_arrive_as_the_client_expects(server):
    c = client(server)
    with pytest.raises(openai.BadRequestError) as err:
        c.completions.create(model=LLM, prompt="x", extra_body={"frobnicate": True})
    assert err.value.code == "unknown_parameter" and err.value.param == "frobnicate"
    assert err.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as err:
        c.chat.completions.create(model=LLM, messages=[{"role": "user", "content": "x"}], temperature=5)
    assert err.value.param == "temperature"
    with pytest.raises(openai.BadRequestError) as err:
        c.chat.completions.create(model=LLM, messages=[{"role": "user", "content": "x"}],
                                  tools=[{"type": "function", "function": {"name": "no spaces allowed"}}])
    assert err.value.param == "tools[0].function.name"
    with pytest.raises(openai.NotFoundError) as err:
        c.embeddings.create(model="nobody/no-such-model", input="x")
    assert err.value.code == "model_not_found"
    # A path outside the configured model folders is refused before anything is opened.
    with pytest.raises(openai.BadRequestError) as err:
        c.embeddings.create(model="/no/such/model", input="x")
    assert err.value.code == "model_path_not_allowed" and err.value.param == "model"
    with pytest.raises(openai.BadRequestError) as err:
        c.embeddings.create(model=LLM, input="x")
    assert err.value.code == "wrong_model_type"


def test_models_status_and_hardware(server):
    ids = [m.id for m in client(server).models.list()]
    assert EMBED in ids and LLM in ids
    s = requests.get(server.url + "/status").json()
    for key in ("status", "version", "models_loaded", "models_available", "hardware_available", "uptime_seconds"):
        assert key in s
    assert set(s["models_loaded"]) >= {EMBED, LLM}
    assert "cpu" in s["hardware_available"]
    with open("/proc/cpuinfo") as f:
        flags = next(line for line in f if line.startswith("flags")).split(":")[1].split()
    assert ("avx2" in s["hardware"]["cpu"]["simd"]) == ("avx2" in flags)
    per_model = {m["id"]: m["memory_bytes"] for m in s["models"]}
    assert per_model[EMBED] > 10_000_000 and per_model[LLM] > 10_000_000
    assert s["memory"]["total_bytes"] == sum(per_model.values())
    r = requests.post(server.url + "/models/load", json={"model_id": EMBED, "hardware": "cuda"})
    if "cuda" not in s["hardware_available"]:
        assert r.status_code == 400 and r.json()["error"]["param"] == "hardware"
    assert requests.get(server.url + "/health").json()["status"] == "healthy"


def test_metrics_parse_with_prometheus_own_parser(server):
    client(server).embeddings.create(model=EMBED, input="metrics please")
    text = requests.get(server.url + "/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    # The parser strips _total from counter family names.
    for name in ("hf_server_requests", "hf_server_request_duration_seconds", "hf_server_models_loaded",
                 "hf_server_model_load_duration_seconds", "hf_server_cache_hits", "hf_server_cache_misses",
                 "hf_server_memory_used_mb", "hf_server_memory_limit_mb", "hf_server_queue_depth",
                 "hf_server_tokens_generated", "hf_server_batch_size", "hf_server_time_to_first_token_seconds",
                 "hf_server_hardware_utilization", "hf_server_model_memory_bytes"):
        assert name in families, name
    reqs = [s for s in families["hf_server_requests"].samples
            if s.labels.get("endpoint") == "embeddings" and s.labels.get("status") == "200" and s.labels.get("model") == EMBED]
    assert reqs and reqs[0].value >= 1
    loaded = families["hf_server_models_loaded"].samples[0].value
    assert loaded == 2
    tokens = sum(s.value for s in families["hf_server_tokens_generated"].samples if s.name.endswith("_total"))
    assert tokens > 0


def test_a_repeated_system_prompt_is_reused_without_changing_the_answer(server):
    system = ("You are the assistant of a lighthouse museum. Answer in one short sentence, in plain words, "
              "and say so when you do not know.")
    c = client(server)

    def ask(q, seed):
        r = c.chat.completions.create(model=LLM, max_tokens=10, temperature=0.7, seed=seed,
                                      messages=[{"role": "system", "content": system}, {"role": "user", "content": q}])
        return r.choices[0].message.content

    def hits():
        fams = {f.name: f for f in text_string_to_metric_families(requests.get(server.url + "/metrics").text)}
        return sum(s.value for s in fams["hf_server_prefix_cache_hits"].samples if s.labels.get("model") == LLM)

    ask("Who built the first lighthouse?", 1)
    before = hits()
    first = ask("How far can its light be seen?", 2)
    assert hits() == before + 1
    # A different seed makes the response cache miss; the same seed again gives the same words,
    # whether or not the prefix came from the cache.
    assert ask("How far can its light be seen?", 3) is not None
    assert ask("How far can its light be seen?", 2) == first
