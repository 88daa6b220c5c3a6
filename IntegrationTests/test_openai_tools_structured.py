"""Structured output, tool calls and logit_bias through the official `openai` client on
SmolLM2-135M-Instruct: every answer under a JSON schema parses and validates (jsonschema, and
pydantic through `client.beta.chat.completions.parse`), tool calls round-trip through a
two-step conversation, and streaming gives the tool calls the whole answer gives."""
import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import List, Literal, Optional

import jsonschema
import openai
import pytest
from pydantic import BaseModel, Field

from conftest import Server
from model_server_support import client, smollm_gguf, wait_ready

LLM = smollm_gguf()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("structured"), env={
        "HF_SERVER_PRELOAD_MODELS": LLM, "HF_SERVER_ENABLE_CACHING": "false"})
    wait_ready(s)
    yield s
    s.stop()


def random_schema(rng: random.Random, depth=0):
    """A varied schema: objects, arrays, enums, bounded numbers, nullable and optional fields."""
    kinds = ["string", "integer", "number", "boolean", "enum", "nullable", "array"] + (["object"] * 2 if depth < 2 else [])
    kind = rng.choice(kinds)
    if kind == "string":
        return {"type": "string", "maxLength": rng.choice([8, 20, 40])}
    if kind == "integer":
        lo = rng.randint(-50, 50)
        return {"type": "integer", "minimum": lo, "maximum": lo + rng.choice([0, 3, 100])}
    if kind == "number":
        lo = round(rng.uniform(-10, 10), 2)
        s = {"type": "number", "minimum": lo, "maximum": lo + rng.choice([0.5, 5, 1000])}
        if rng.random() < 0.3:
            s["exclusiveMaximum"] = s.pop("maximum")
        return s
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "enum":
        return {"enum": rng.sample(["red", "green", "blue", "a b", "ünï", 1, 2.5, None, True], rng.randint(1, 4))}
    if kind == "nullable":
        return {"anyOf": [{"type": "string", "maxLength": 12}, {"type": "null"}]}
    if kind == "array":
        lo = rng.randint(0, 2)
        return {"type": "array", "items": random_schema(rng, depth + 1), "minItems": lo, "maxItems": lo + rng.randint(0, 2)}
    n = rng.randint(1, 4)
    props = {f"{rng.choice(['name', 'size', 'kind', 'tag', 'value', 'city'])}_{i}": random_schema(rng, depth + 1) for i in range(n)}
    required = [k for k in props if rng.random() < 0.8]
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def schemas():
    rng = random.Random(1729)
    out = []
    while len(out) < 50:
        s = random_schema(rng)
        if s.get("type") != "object":
            s = {"type": "object", "properties": {"answer": s}, "required": ["answer"], "additionalProperties": False}
        out.append(s)
    return out


def test_fifty_schemas_always_parse_and_validate(server):
    c = client(server)
    prompts = ["Describe a city as JSON.", "Give me data about a cat.", "List some colours.", "Answer in JSON."]

    def ask(i_schema):
        i, schema = i_schema
        r = c.chat.completions.create(
            model=LLM, messages=[{"role": "user", "content": prompts[i % len(prompts)]}], max_tokens=160,
            temperature=0 if i % 2 == 0 else 0.9, seed=i,
            response_format={"type": "json_schema", "json_schema": {"name": f"s{i}", "schema": schema, "strict": True}})
        return i, schema, r

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, enumerate(schemas())))
    for i, schema, r in results:
        text = r.choices[0].message.content
        assert r.choices[0].finish_reason == "stop", (i, text)
        jsonschema.validate(json.loads(text), schema)


class Address(BaseModel):
    street: str = Field(max_length=30)
    number: int = Field(ge=1, le=9999)


class Person(BaseModel):
    name: str = Field(max_length=20)
    age: int = Field(ge=0, le=130)
    role: Literal["admin", "user", "guest"]
    height_m: float = Field(gt=0.5, lt=2.5)
    nickname: Optional[str] = None
    address: Address
    pets: List[str] = Field(max_length=3)


def test_pydantic_models_through_parse(server):
    c = client(server)
    for seed in range(3):
        r = c.beta.chat.completions.parse(model=LLM, messages=[{"role": "user", "content": "Invent a person."}],
                                          response_format=Person, max_tokens=200, temperature=0.7, seed=seed)
        person = r.choices[0].message.parsed
        assert isinstance(person, Person), r.choices[0].message.content
        assert 0 <= person.age <= 130 and person.role in ("admin", "user", "guest")


def test_json_object_mode_gives_an_object(server):
    r = client(server).chat.completions.create(model=LLM, messages=[{"role": "user", "content": "A cat, as JSON."}],
                                               response_format={"type": "json_object"}, max_tokens=60, temperature=0)
    assert isinstance(json.loads(r.choices[0].message.content), dict)
    assert r.choices[0].finish_reason == "stop"


def test_unsupported_schemas_are_a_clear_400(server):
    c = client(server)
    with pytest.raises(openai.BadRequestError) as err:
        c.chat.completions.create(model=LLM, messages=[{"role": "user", "content": "x"}], response_format={
            "type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "string", "pattern": "^a+$"}}})
    assert "pattern" in str(err.value) and err.value.code == "unsupported_schema"


WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"], "additionalProperties": False}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "description": "The local time in a time zone",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 30}}, "required": ["zone"]}}}


def calls_of(message):
    return [(t.function.name, json.loads(t.function.arguments)) for t in message.tool_calls or []]


def test_tool_calls_round_trip_through_two_steps(server):
    c = client(server)
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = c.chat.completions.create(model=LLM, messages=messages, tools=[WEATHER, TIME], tool_choice="required",
                                      parallel_tool_calls=False, max_tokens=80, temperature=0)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls", choice
    calls = calls_of(choice.message)
    assert len(calls) == 1
    name, args = calls[0]
    schema = {"get_weather": WEATHER, "get_time": TIME}[name]["function"]["parameters"]
    jsonschema.validate(args, schema)
    call = choice.message.tool_calls[0]
    assert call.id.startswith("call_") and call.type == "function"

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature": 21, "sky": "clear"})})
    second = c.chat.completions.create(model=LLM, messages=messages, tools=[WEATHER, TIME], max_tokens=30, temperature=0)
    assert second.choices[0].message.role == "assistant"
    assert second.choices[0].message.content or second.choices[0].message.tool_calls

    named = c.chat.completions.create(model=LLM, messages=[{"role": "user", "content": "Time in Tokyo?"}], tools=[WEATHER, TIME],
                                      tool_choice={"type": "function", "function": {"name": "get_time"}}, max_tokens=40, temperature=0)
    [(n, a)] = calls_of(named.choices[0].message)
    assert n == "get_time"
    jsonschema.validate(a, TIME["function"]["parameters"])

    none = c.chat.completions.create(model=LLM, messages=[{"role": "user", "content": "Hi"}], tools=[WEATHER], tool_choice="none",
                                     max_tokens=8, temperature=0)
    assert none.choices[0].message.tool_calls is None and none.choices[0].finish_reason != "tool_calls"


def test_streaming_gives_the_same_tool_calls(server):
    c = client(server)
    kw = dict(model=LLM, messages=[{"role": "user", "content": "Weather in Rome and in Oslo?"}], tools=[WEATHER],
              tool_choice="required", max_tokens=90, temperature=0)
    whole = calls_of(c.chat.completions.create(**kw).choices[0].message)
    assert whole
    parts, finish = {}, None
    for chunk in c.chat.completions.create(stream=True, **kw):
        for ch in chunk.choices:
            for d in ch.delta.tool_calls or []:
                p = parts.setdefault(d.index, {"name": "", "arguments": ""})
                p["name"] += d.function.name or ""
                p["arguments"] += d.function.arguments or ""
            finish = ch.finish_reason or finish
    streamed = [(p["name"], json.loads(p["arguments"])) for _, p in sorted(parts.items())]
    assert streamed == whole
    assert finish == "tool_calls"


def test_logit_bias_bans_and_forces_tokens(server):
    c = client(server)
    kw = dict(model=LLM, prompt="The capital of France is", max_tokens=1, temperature=0)
    first = c.completions.create(**kw)
    assert first.choices[0].text == " Paris"  # llama.cpp's greedy token for this file
    banned = c.completions.create(logit_bias={"7042": -100}, **kw)  # 7042 is " Paris" in SmolLM2's vocabulary
    assert banned.choices[0].text != " Paris"
    forced = c.completions.create(logit_bias={"45": 100}, **kw)
    assert forced.choices[0].text == "="  # id 45 is "=" in SmolLM2's vocabulary
    with pytest.raises(openai.BadRequestError) as err:
        c.completions.create(logit_bias={"99999999": 1}, **kw)
    assert err.value.param == "logit_bias"


def test_tokenize_and_detokenize_in_llama_cpp_and_vllm_shapes(server):
    import requests
    from llama_cpp import Llama
    ref = Llama(model_path=LLM, vocab_only=True, verbose=False)
    text = "Zürich, 東京 and 🚀: 12345 apples <|im_end|>"
    want = ref.tokenize(text.encode(), add_bos=False, special=True)
    # llama.cpp's shape; no model named: the one generation model loaded is used.
    got = requests.post(server.url + "/tokenize", json={"content": text}, timeout=60).json()
    assert got["tokens"] == want
    pieces = requests.post(server.url + "/tokenize", json={"content": text, "with_pieces": True}, timeout=60).json()["tokens"]
    assert [p["id"] for p in pieces] == want
    # Pieces that split a character come as byte lists, as llama.cpp sends them.
    joined = b"".join(p["piece"].encode() if isinstance(p["piece"], str) else bytes(p["piece"]) for p in pieces)
    assert joined == text.encode() and any(isinstance(p["piece"], list) for p in pieces)
    # vLLM's shape.
    v = requests.post(server.url + "/tokenize", json={"model": LLM, "prompt": text}, timeout=60).json()
    assert v["tokens"] == want and v["count"] == len(want) and v["max_model_len"] == 8192
    chat = requests.post(server.url + "/tokenize", json={"model": LLM, "messages": [{"role": "user", "content": "Hi"}]}, timeout=60).json()
    rendered = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" \
               "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert chat["tokens"] == ref.tokenize(rendered.encode(), add_bos=False, special=True)
    back = requests.post(server.url + "/detokenize", json={"tokens": want}, timeout=60).json()
    assert back["content"] == text and back["prompt"] == text
    bad = requests.post(server.url + "/detokenize", json={"model": LLM, "tokens": [10 ** 9]}, timeout=60)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tokens"


def test_a_stream_the_client_leaves_stops_generating_and_frees_its_slot(server):
    import time

    import httpx
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    def metric(name):
        text = requests.get(server.url + "/metrics", timeout=30).text
        return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)

    cancelled_before = metric("hf_server_generations_cancelled_total")
    tokens_before = metric("hf_server_tokens_generated_total")
    body = {"model": LLM, "prompt": "Once upon a time", "max_tokens": 3000, "stream": True, "ignore_eos": True}
    with httpx.Client(timeout=60) as h:
        with h.stream("POST", server.url + "/v1/completions", json=body) as r:
            for i, _ in enumerate(r.iter_lines()):
                if i >= 5:
                    break   # leave: the connection closes here
    deadline = time.time() + 60
    while time.time() < deadline and metric("hf_server_generations_cancelled_total") <= cancelled_before:
        time.sleep(0.2)
    assert metric("hf_server_generations_cancelled_total") == cancelled_before + 1
    assert metric("hf_server_queue_running") == 0
    assert metric("hf_server_tokens_generated_total") - tokens_before < 3000


def test_stop_sequences_across_token_boundaries_cut_streams_as_whole_answers(server):
    c = client(server)
    kw = dict(model=LLM, prompt="The capital of France is", max_tokens=24, temperature=0)
    full = c.completions.create(logprobs=0, **kw)
    pieces = full.choices[0].logprobs.tokens
    text = full.choices[0].text
    # Stops that start inside one token and end inside the next, up to the 4 OpenAI allows.
    stops, at = [], 0
    for a, b in zip(pieces, pieces[1:]):
        at += len(a)
        if len(a) >= 2 and len(b) >= 2 and len(stops) < 4 and at > 8:
            stops.append(a[-2:] + b[:2])
    assert stops, pieces
    whole = c.completions.create(stop=stops, **kw).choices[0]
    cut = min(text.find(s) for s in stops if s in text)
    assert whole.text == text[:cut] and whole.finish_reason == "stop"
    streamed = "".join(ch.choices[0].text for ch in c.completions.create(stop=stops, stream=True, **kw) if ch.choices)
    assert streamed == whole.text
    assert not any(s in streamed for s in stops)
