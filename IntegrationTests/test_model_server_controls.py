"""The model server's production controls under load, on the real models: queue bounds and
timeouts, per-key rate limits, the circuit breaker, and dynamic batching."""
import asyncio
import json
import os
import shutil
import time

import httpx
import numpy as np
import openai
import pytest
import requests

from model_server_support import client, minilm_dir, smollm_gguf, wait_ready

EMBED = minilm_dir()
LLM = smollm_gguf()
ADMIN = "admin-test-key"


def start_blocker(server, texts=8):
    """A big embeddings request (texts of 256 tokens, the model's limit) that holds the only
    execution slot for a few seconds; returns the thread running it and its result holder."""
    import threading
    out = {}

    def run():
        out["r"] = requests.post(server.url + "/v1/embeddings", timeout=600,
                                 json={"model": EMBED, "input": [f"blocker {i} " + "lorem ipsum dolor sit amet " * 60 for i in range(texts)]})
    t = threading.Thread(target=run)
    t.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        if queue_stats(server)["running"] == 1:
            return t, out
        time.sleep(0.01)
    raise RuntimeError("blocker never started")


def queue_stats(server):
    return requests.get(server.url + "/admin/queue/stats", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10).json()


async def burst(url, n, body):
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    async with httpx.AsyncClient(limits=limits, timeout=300) as c:
        async def one():
            r = await c.post(url, json=body)
            return r.status_code, r.json()
        return await asyncio.gather(*(one() for _ in range(n)))


def test_200_concurrent_requests_with_a_queue_of_50(start_server):
    s = start_server(env={"HF_SERVER_PRELOAD_MODELS": f"{EMBED},{LLM}", "HF_SERVER_MAX_QUEUE_SIZE": "50",
                          "HF_SERVER_MAX_CONCURRENT_REQUESTS": "1", "HF_SERVER_QUEUE_TIMEOUT_SECONDS": "300",
                          "HF_SERVER_ENABLE_CACHING": "false", "HF_SERVER_ADMIN_API_KEY": ADMIN}, subdir="queue")
    wait_ready(s)
    blocker, out = start_blocker(s)
    before = queue_stats(s)
    t0 = time.time()
    results = asyncio.run(burst(s.url + "/v1/embeddings", 200, {"model": EMBED, "input": "queued request"}))
    elapsed = time.time() - t0
    blocker_was_running = blocker.is_alive()
    blocker.join(600)
    statuses = [code for code, _ in results]
    refused = [body for code, body in results if code == 503]
    assert set(statuses) <= {200, 503}, statuses
    assert all(b["error"]["code"] == "queue_full" for b in refused)
    after = queue_stats(s)
    burst_queued = after["total_queued"] - before["total_queued"]
    burst_rejected = after["total_rejected"] - before["total_rejected"]
    assert burst_queued + burst_rejected == 200
    assert burst_rejected == len(refused)
    if blocker_was_running:
        # The slot was busy for the whole burst: exactly the queue's 50 got in.
        assert len(refused) == 150, (elapsed, after)
    assert statuses.count(200) == 200 - len(refused)
    assert after["current_size"] == 0 and after["running"] == 0
    assert after["total_queued"] == after["total_processed"] + after["total_timeouts"] + after["total_cancelled"] + after["current_size"]
    assert out["r"].status_code == 200


def test_queue_timeout_answers_instead_of_hanging(start_server):
    s = start_server(env={"HF_SERVER_PRELOAD_MODELS": f"{EMBED},{LLM}", "HF_SERVER_MAX_CONCURRENT_REQUESTS": "1",
                          "HF_SERVER_QUEUE_TIMEOUT_SECONDS": "0.5", "HF_SERVER_ADMIN_API_KEY": ADMIN}, subdir="timeout")
    wait_ready(s)
    blocker, _ = start_blocker(s)
    t0 = time.time()
    r = requests.post(s.url + "/v1/embeddings", json={"model": EMBED, "input": "waits"}, timeout=60)
    waited = time.time() - t0
    still_blocked = blocker.is_alive()
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "queue_timeout"
    assert "Retry-After" in r.headers
    if still_blocked:
        assert 0.4 < waited < 5
    assert queue_stats(s)["total_timeouts"] >= 1
    blocker.join(600)


def test_priority_header_jumps_the_queue(start_server):
    s = start_server(env={"HF_SERVER_PRELOAD_MODELS": f"{EMBED},{LLM}", "HF_SERVER_MAX_CONCURRENT_REQUESTS": "1",
                          "HF_SERVER_ENABLE_CACHING": "false", "HF_SERVER_ENABLE_BATCHING": "false",
                          "HF_SERVER_ADMIN_API_KEY": ADMIN}, subdir="priority")
    wait_ready(s)
    blocker, _ = start_blocker(s)
    import threading
    done = []

    def send(name, prio):
        requests.post(s.url + "/v1/embeddings", json={"model": EMBED, "input": name}, headers={"X-Priority": prio}, timeout=600)
        done.append(name)
    threads = []
    for name, prio in [("low", "LOW"), ("normal", "NORMAL"), ("critical", "CRITICAL"), ("high", "HIGH")]:
        t = threading.Thread(target=send, args=(name, prio))
        t.start()
        threads.append(t)
        while queue_stats(s)["current_size"] < len(threads):
            time.sleep(0.005)
    if not blocker.is_alive():
        pytest.skip("the blocking generation ended before the queue filled; machine too fast for this check")
    for t in threads:
        t.join(600)
    assert done == ["critical", "high", "normal", "low"]


def test_key_over_its_rate_limit_gets_429_with_headers(start_server):
    s = start_server(env={"HF_SERVER_ENABLE_AUTH": "true", "HF_SERVER_REQUIRE_AUTH": "true", "HF_SERVER_ADMIN_API_KEY": ADMIN,
                          "HF_SERVER_ENABLE_RATE_LIMITING": "true"}, subdir="ratelimit")
    # The reference's own curl example: a form body.
    g = requests.post(s.url + "/admin/keys/generate", data="name=my-app&rate_limit=5",
                      headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/x-www-form-urlencoded"}).json()
    key = g["api_key"]
    assert key.startswith("hf_") and g["rate_limit"] == 5 and len(g["key_id"]) == 16
    c = client(s, api_key=key)
    for _ in range(5):
        raw = c.models.with_raw_response.list()
        assert raw.headers["X-RateLimit-Limit"] == "5"
    assert raw.headers["X-RateLimit-Remaining"] == "0"
    with pytest.raises(openai.RateLimitError) as err:
        c.models.list()
    h = err.value.response.headers
    assert h["X-RateLimit-Limit"] == "5" and h["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(h["Retry-After"]) <= 12  # 5 per minute: a token every 12 s
    assert int(h["X-RateLimit-Reset"]) > time.time()
    assert err.value.code == "rate_limit_exceeded"
    # Other keys keep their own budget; no key at all is refused with a Bearer challenge.
    other = requests.post(s.url + "/admin/keys/generate", json={"name": "other"}, headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert client(s, api_key=other["api_key"]).models.list() is not None
    r = requests.get(s.url + "/v1/models")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert requests.get(s.url + "/admin/queue/stats", headers={"Authorization": f"Bearer {key}"}).status_code == 403
    listed = requests.get(s.url + "/admin/keys/list", headers={"Authorization": f"Bearer {ADMIN}"}).json()["keys"]
    assert {k["key_id"] for k in listed} == {g["key_id"], other["key_id"]}
    assert all("api_key" not in k for k in listed)


def test_failing_model_opens_the_breaker_and_recovers(start_server, tmp_path):
    broken = tmp_path / "minilm-copy"
    shutil.copytree(EMBED, broken)
    good_config = (broken / "config.json").read_text()
    (broken / "config.json").write_text("{ this is not json")
    s = start_server(env={"HF_SERVER_CIRCUIT_BREAKER_TIMEOUT_SECONDS": "2", "HF_SERVER_MODEL_DIRS": str(tmp_path)}, subdir="breaker")
    body = {"model": str(broken), "input": "hello"}
    for _ in range(5):
        r = requests.post(s.url + "/v1/embeddings", json=body, timeout=60)
        assert r.status_code == 500, r.text
    t0 = time.time()
    r = requests.post(s.url + "/v1/embeddings", json=body, timeout=60)
    assert r.status_code == 503 and r.json()["error"]["code"] == "circuit_open"
    assert time.time() - t0 < 0.5 and "Retry-After" in r.headers
    assert requests.get(s.url + "/status").json()["circuit_breakers"][str(broken)] == "open"
    (broken / "config.json").write_text(good_config)  # the model is repaired
    time.sleep(2.2)
    for i in range(2):  # two real successes (distinct inputs: a cache hit would not touch the model)
        r = requests.post(s.url + "/v1/embeddings", json={"model": str(broken), "input": f"hello {i}"}, timeout=60)
        assert r.status_code == 200, r.text
    assert requests.get(s.url + "/status").json()["circuit_breakers"][str(broken)] == "closed"


def test_batched_answers_equal_unbatched_ones(start_server):
    s = start_server(env={"HF_SERVER_PRELOAD_MODELS": f"{EMBED},{LLM}", "HF_SERVER_BATCH_WINDOW_MS": "50",
                          "HF_SERVER_ENABLE_CACHING": "false", "HF_SERVER_MAX_BATCH_SIZE": "8"}, subdir="batch")
    wait_ready(s)
    texts = [f"sentence number {i} about {w}" for i, w in enumerate(["cats", "ships", "rain", "tea", "maps", "jazz", "code", "salt"])]
    sequential = [np.array(client(s).embeddings.create(model=EMBED, input=t, encoding_format="float").data[0].embedding) for t in texts]

    async def together():
        async with httpx.AsyncClient(timeout=300) as c:
            rs = await asyncio.gather(*(c.post(s.url + "/v1/embeddings", json={"model": EMBED, "input": t}) for t in texts))
            return [np.array(r.json()["data"][0]["embedding"]) for r in rs]
    batched = asyncio.run(together())
    for a, b in zip(sequential, batched):
        assert np.allclose(a, b, atol=1e-5)
    prompts = ["The sun is", "My favourite food is", "Water boils at"]
    seq_text = [client(s).completions.create(model=LLM, prompt=p, max_tokens=8, temperature=0).choices[0].text for p in prompts]

    async def gen_together():
        async with httpx.AsyncClient(timeout=300) as c:
            rs = await asyncio.gather(*(c.post(s.url + "/v1/completions", json={"model": LLM, "prompt": p, "max_tokens": 8, "temperature": 0})
                                        for p in prompts))
            return [r.json()["choices"][0]["text"] for r in rs]
    assert asyncio.run(gen_together()) == seq_text
    # The batch-size histogram saw batches larger than one.
    from prometheus_client.parser import text_string_to_metric_families
    fam = next(f for f in text_string_to_metric_families(requests.get(s.url + "/metrics").text) if f.name == "hf_server_batch_size")
    for kind in ("embedding", "generation"):
        le1 = next(x.value for x in fam.samples if x.name.endswith("_bucket") and x.labels["kind"] == kind and x.labels["le"] == "1.0")
        count = next(x.value for x in fam.samples if x.name.endswith("_count") and x.labels["kind"] == kind)
        assert count > le1, kind


def test_preloading_holds_ready_and_lru_bounds_loaded_models(start_server, tmp_path):
    copy = tmp_path / "minilm-b"
    shutil.copytree(EMBED, copy)
    s = start_server(env={"HF_SERVER_PRELOAD_MODELS": f"{EMBED},{LLM}", "HF_SERVER_MAX_LOADED_MODELS": "2",
                          "HF_SERVER_MODEL_DIRS": str(tmp_path)}, subdir="lru")
    wait_ready(s)
    st = requests.get(s.url + "/status").json()
    assert set(st["models_loaded"]) == {EMBED, LLM}
    client(s).embeddings.create(model=EMBED, input="touch")  # LLM is now least recently used
    r = requests.post(s.url + "/models/load", json={"model_id": str(copy)})
    assert r.status_code == 200 and r.json()["status"] == "loaded"
    st = requests.get(s.url + "/status").json()
    assert set(st["models_loaded"]) == {EMBED, str(copy)}
    assert st["model_cache"]["evictions"] == 1
    assert requests.post(s.url + "/models/unload", json={"model_id": str(copy)}).json()["status"] == "unloaded"
    assert requests.post(s.url + "/models/unload", json={"model_id": str(copy)}).status_code == 404
    # Lazy: the evicted model loads again on first use.
    assert client(s).completions.create(model=LLM, prompt="Hi", max_tokens=2, temperature=0).choices


def test_model_paths_from_requests_stay_inside_the_model_folders(start_server, tmp_path):
    allowed = tmp_path / "models-ok"
    shutil.copytree(EMBED, allowed / "minilm")
    outside = tmp_path / "elsewhere"
    shutil.copytree(EMBED, outside / "minilm")
    (allowed / "escape").symlink_to(outside / "minilm")
    s = start_server(env={"HF_SERVER_MODEL_DIRS": str(allowed)}, subdir="paths")
    ok = requests.post(s.url + "/v1/embeddings", json={"model": str(allowed / "minilm"), "input": "hi"}, timeout=120)
    assert ok.status_code == 200, ok.text
    # A path outside, a symbolic link leading outside, a relative climb and a system file: 400, nothing loaded.
    for bad in [str(outside / "minilm"), str(allowed / "escape"), str(allowed / ".." / "elsewhere" / "minilm"), "/etc/passwd"]:
        r = requests.post(s.url + "/v1/embeddings", json={"model": bad, "input": "hi"}, timeout=60)
        assert r.status_code == 400 and r.json()["error"]["code"] == "model_path_not_allowed", (bad, r.text)
    assert requests.post(s.url + "/v1/embeddings", json={"model": "ipfs://not-a-cid", "input": "x"}, timeout=60).status_code == 404
    loaded = requests.get(s.url + "/status").json()["models_loaded"]
    assert loaded == [str(allowed / "minilm")], loaded
