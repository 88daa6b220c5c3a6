"""Structured output and required tool calls on the other decoder families of the generation
work (the tiny random-weight Qwen 2, Qwen 3, Phi-3 long-rope and Gemma 2 models of
Tests/InferenceTests/Fixtures/make_arch_fixtures.py): whatever such a model would say, the
grammar makes every answer parse and validate, streamed or not."""
import json
import pathlib

import jsonschema
import pytest

from conftest import Server
from model_server_support import client
from test_openai_tools_structured import WEATHER, calls_of, schemas

ARCH = pathlib.Path(__file__).resolve().parent.parent / ".build-fixtures" / "arch"
NAMES = ["qwen2", "qwen3", "phi3-longrope", "gemma2"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not ARCH.exists():
        pytest.fail(f"{ARCH} is missing: scripts/test makes the fixtures")
    s = Server(tmp_path_factory.mktemp("archs"), env={"HF_SERVER_MODEL_DIRS": str(ARCH), "HF_SERVER_ENABLE_CACHING": "false"})
    yield s
    s.stop()


@pytest.mark.parametrize("name", NAMES)
def test_schemas_and_required_tool_calls_validate_on_each_family(server, name):
    model = str(ARCH / f"{name}.gguf")
    c = client(server)
    for i, schema in enumerate(schemas()[:5]):
        r = c.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Answer in JSON."}], max_tokens=120,
            temperature=0.8, seed=i,
            response_format={"type": "json_schema", "json_schema": {"name": f"s{i}", "schema": schema, "strict": True}})
        assert r.choices[0].finish_reason == "stop", (name, i, r.choices[0].message.content)
        jsonschema.validate(json.loads(r.choices[0].message.content), schema)

    whole = c.chat.completions.create(model=model, messages=[{"role": "user", "content": "Weather in Oslo?"}],
                                      tools=[WEATHER], tool_choice="required", parallel_tool_calls=False, max_tokens=80,
                                      temperature=0)
    assert whole.choices[0].finish_reason == "tool_calls", whole.choices[0]
    [(fn, args)] = calls_of(whole.choices[0].message)
    assert fn == "get_weather"
    jsonschema.validate(args, WEATHER["function"]["parameters"])

    parts = {}
    for chunk in c.chat.completions.create(model=model, messages=[{"role": "user", "content": "Weather in Oslo?"}],
                                           tools=[WEATHER], tool_choice="required", parallel_tool_calls=False, max_tokens=80, temperature=0,
                                           stream=True):
        for d in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            p = parts.setdefault(d.index, {"name": "", "arguments": ""})
            p["name"] += d.function.name or ""
            p["arguments"] += d.function.arguments or ""
    assert [(p["name"], json.loads(p["arguments"])) for p in parts.values()] == [(fn, args)]
