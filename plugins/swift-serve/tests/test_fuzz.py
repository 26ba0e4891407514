"""Malformed and hostile requests never get a 5xx, and the server keeps answering correctly.

Two sources of requests against real servers (deploy and rollout) over one real engine:

* a hand-written corpus (over 300 requests): every field of every route with values of
  the wrong type, out of range, huge, NaN/Infinity, lone surrogates; raw bodies that are
  not JSON, not UTF-8, nested 1000 levels, over the size limit; the limits of the flags;
* hypothesis: bodies built from the request fields with arbitrary JSON in any of them.

After every corpus request a good request must get the same greedy answer as before,
and the process's memory must stay bounded over the whole corpus.
"""

from __future__ import annotations

import contextlib
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
USER = [{"role": "user", "content": "hello"}]
GOOD = {"model": "fuzz", "messages": USER, "max_tokens": 3, "temperature": 0}
CONTEXT = 128  # the fuzzed model's context: no valid request generates for long
LIMITS = {"max_n": 4, "max_prompts": 8, "max_messages": 64, "max_json_depth": 16, "max_request_bytes": "3MB"}


@pytest.fixture(scope="module")
def fuzz_model_dir(tmp_path_factory) -> str:
    """A tiny model whose context is 128 tokens."""
    from swift_sdk.tiny import build_tiny_model

    path = build_tiny_model(tmp_path_factory.mktemp("fuzz") / "fuzz", arch="qwen3")
    config = json.loads((path / "config.json").read_text())
    config["max_position_embeddings"] = CONTEXT
    (path / "config.json").write_text(json.dumps(config))
    return str(path)


@pytest.fixture(scope="module")
def servers(fuzz_model_dir):
    """``{"deploy": client, "rollout": client}``: both apps over one pt engine, with tight limits."""
    from swift_serve.app import create_app
    from swift_serve.rollout_app import create_rollout_app
    from swift_serve.server import BackgroundServer

    from swift.arguments import DeployArguments, RolloutArguments
    from swift.pipelines.infer_engine import create_engine

    common = {"model": fuzz_model_dir, "host": "127.0.0.1", "port": 0, "verbose": False, "log_interval": 0}
    deploy_args = DeployArguments(served_model_name="fuzz", max_batch_size=8, **common, **LIMITS)
    rollout_args = RolloutArguments(infer_backend="pt", max_batch_size=8, **common, **LIMITS)
    engine = create_engine(deploy_args)
    with contextlib.ExitStack() as stack:
        deploy = stack.enter_context(BackgroundServer(create_app(engine, deploy_args)))
        rollout = stack.enter_context(BackgroundServer(create_rollout_app(engine, rollout_args)))
        clients = {
            "deploy": stack.enter_context(httpx.Client(base_url=deploy.url, timeout=120)),
            "rollout": stack.enter_context(httpx.Client(base_url=rollout.url, timeout=120)),
        }
        yield clients
    engine.close()


def good_answer(http: httpx.Client) -> str:
    answer = http.post(CHAT, json=GOOD)
    assert answer.status_code == 200, answer.text
    return answer.json()["choices"][0]["message"]["content"]


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------- the corpus
WRONG_TYPES = ["x", True, [], {}, [1], {"a": 1}]
INT_FIELDS = {
    "max_tokens": [0, -1, 1.5, 2**31, 2**63, 10**30, CONTEXT + 1],
    "max_completion_tokens": [0, -3, 2.0, 10**20, CONTEXT + 1],
    "n": [0, -1, 9223372036854775808, 5, 1.0],
    "seed": [2**63, -(2**64), int("9" * 4000), 0.5],
    "top_k": [-2, 2**40, 1.5],
}
FLOAT_FIELDS = {
    "temperature": [-1, 101, 1e300],
    "top_p": [0, -0.1, 1.5, 1e300],
    "repetition_penalty": [0, -1, 1000],
    "presence_penalty": [2.5, -3, 1e10],
    "frequency_penalty": [-2.01, 3, -1e10],
}
BOOL_FIELDS = ["stream", "return_token_ids"]
CHAT_ONLY = {
    "logprobs": ["yes", 1, 0, "true"],
    "top_logprobs": [-1, 21, 2**40, "3", True],
    "tools": ["x", 1, {"a": 1}],
    "tool_choice": ["required", {"type": "function", "function": {"name": "f"}}, 1, "any"],
    "response_format": [{"type": "json_object"}, {"type": "json_schema", "json_schema": {}}, "text", 1],
    "parallel_tool_calls": ["no", 1],
    "messages": [
        "hi",
        [],
        [1],
        [None],
        [{"role": "robot", "content": "x"}],
        [{"content": "x"}],
        [{"role": "user", "content": 1}],
        [{"role": "user", "content": {"text": "x"}}],
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,x"}}]}],
        [{"role": "user", "content": [{"type": "text"}]}],
        [{"role": "user", "content": [{"type": "text", "text": 5}]}],
        [{"role": "user", "content": "x", "extra": 1}],
        [{"role": "user", "content": "\ud800"}],
        [{"role": "user", "content": "a\udfffb"}],
        [{"role": "assistant", "content": "only the answer"}],
        [{"role": "user", "content": "x"}] * 65,
        [{"role": "user", "content": " ".join(["word"] * 400)}],
        [{"role": "user", "content": "x", "name": 5}],
        [{"role": None, "content": "x"}],
        [{"role": "user", "content": "x", "tool_calls": "x"}],
    ],
}
COMPLETION_ONLY = {
    "prompt": [None, 1, [], [1, -2], [[1, 2], [3, 99999]], ["a", 1], ["a"] * 9, {"a": 1}, "\ud800", [[]], [2**40]],
    "logprobs": [True, -1, 21, "2", 2**40],
    "echo": ["yes", 1],
    "suffix": ["x", 1],
    "best_of": [2, 0, "x"],
}
STR_FIELDS = {"model": [1, [], {}, True, "nope", "m" * 2000], "user": [1, [], "u" * 2000]}
SHARED_EXTRA = {
    "stop": [1, [1], ["a", None], {"a": 1}, True],
    "stream_options": ["x", {"include_usage": "yes"}, {"include_usage": True}, {"other": 1}],
    "logit_bias": ["x", {"abc": 1}, {"1": 101}, {"1": "x"}, {"99999": 5}, {"-1": 1}, [1]],
    "unknown_field": [1],
    "temprature": [0.5],
}


def _field_cases(path: str, base: dict, fields: dict) -> list:
    return [
        pytest.param(path, {**base, field: value}, id=f"{'chat' if path == CHAT else 'completions'}-{field}-{i}")
        for field, values in fields.items()
        for i, value in enumerate(values)
    ]


def corpus() -> list:
    """The hand-written malformed requests: ``(path, body)`` where body is a dict or raw bytes."""
    chat = {"model": "fuzz", "messages": USER, "max_tokens": 2}
    completion = {"model": "fuzz", "prompt": "hello", "max_tokens": 2}
    typed = {
        **{f: v + WRONG_TYPES[:3] for f, v in INT_FIELDS.items()},
        **{f: v + WRONG_TYPES[:4] for f, v in FLOAT_FIELDS.items()},
        **{f: ["yes", 1, 0, []] for f in BOOL_FIELDS},
        **STR_FIELDS,
        **SHARED_EXTRA,
    }
    cases = _field_cases(CHAT, chat, {**typed, **CHAT_ONLY})
    cases += _field_cases(COMPLETIONS, completion, {**typed, **COMPLETION_ONLY})
    deep = b"[" * 1000 + b"]" * 1000
    raw = {
        "empty": b"",
        "truncated": b'{"messages": [',
        "array": b"[1, 2]",
        "null": b"null",
        "number": b"12",
        "string": b'"x"',
        "bad-utf8": b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}',
        "nested-1000": deep,
        "nested-object": b'{"a":' * 1000 + b"1" + b"}" * 1000,
        "nested-in-field": b'{"messages": ' + deep + b"}",
        "nan-literal": b'{"messages": [{"role": "user", "content": "x"}], "temperature": NaN}',
        "infinity-literal": b'{"messages": [{"role": "user", "content": "x"}], "top_p": Infinity}',
        "huge-exponent": b'{"messages": [{"role": "user", "content": "x"}], "temperature": 1e999}',
        "4000-digit-seed": b'{"messages": [{"role": "user", "content": "x"}], "seed": ' + b"7" * 4000 + b"}",
        "5000-digit-int": b'{"messages": [{"role": "user", "content": "x"}], "n": ' + b"7" * 5000 + b"}",
        "over-size": b'{"messages": [{"role": "user", "content": "' + b"a" * 3_100_000 + b'"}]}',
        "duplicate-keys": b'{"messages": 1, "messages": 2}',
        "lone-surrogate-key": b'{"\\ud800": 1, "messages": [{"role": "user", "content": "x"}]}',
        "two-million-prompts": b'{"prompt": [' + b",".join([b'"a"'] * 100_000) + b"]}",
    }
    for name, body in raw.items():
        cases.append(pytest.param(CHAT, body, id=f"raw-{name}"))
    cases.append(pytest.param(COMPLETIONS, raw["two-million-prompts"], id="raw-completions-many-prompts"))
    rollout = {"requests": [{"messages": USER}], "request_config": {"max_tokens": 2}}
    rollout_fields = {
        "requests": ["x", [1], [{"messages": "x"}], [{"messages": USER, "colour": 1}], [{"messages": USER}] * 9],
        "request_config": [
            "x",
            {"n": 0},
            {"n": 5},
            {"max_tokens": CONTEXT + 1},
            {"temperature": -1},
            {"stream": "yes"},
            {"seed": 2**64},
            {"logit_bias": {"x": 1}},
            {"num_beams": 0},
            {"bogus": 1},
        ],
        "adapter": [1, "no-such-adapter"],
        "extra": [1],
    }
    cases += [
        pytest.param("rollout:/infer", {**rollout, field: value}, id=f"infer-{field}-{i}")
        for field, values in rollout_fields.items()
        for i, value in enumerate(values)
    ]
    for name in ("array", "nested-1000", "bad-utf8", "over-size", "empty"):
        cases.append(pytest.param("rollout:/infer", raw[name], id=f"infer-raw-{name}"))
    weight_json = [{"path": 1}, {"path": "/etc"}, {"path": ""}, {"kind": "full"}, {"path": "/x", "kind": "qlora"}, []]
    cases += [
        pytest.param("rollout:/update_weights", body, id=f"weights-json-{i}") for i, body in enumerate(weight_json)
    ]
    return cases


CORPUS = corpus()
MEMORY = {}


def test_the_corpus_has_over_300_requests():
    assert len(CORPUS) >= 300


def _send(servers, path: str, body) -> httpx.Response:
    http = servers["rollout"] if path.startswith("rollout:") else servers["deploy"]
    path = path.removeprefix("rollout:")
    if isinstance(body, bytes):
        return http.post(path, content=body, headers={"Content-Type": "application/json"})
    return http.post(path, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(("path", "body"), CORPUS)
def test_a_malformed_request_is_a_4xx_with_a_reason_and_the_server_still_answers(servers, path, body):
    if not MEMORY:
        MEMORY["good"] = good_answer(servers["deploy"])
        MEMORY["rss"] = rss_mib()

    answer = _send(servers, path, body)

    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    error = answer.json()["error"]
    text = error if isinstance(error, str) else error["message"]
    assert text and "Traceback" not in text
    assert good_answer(servers["deploy"]) == MEMORY["good"]


def test_memory_stayed_bounded_over_the_corpus(servers):
    if "rss" not in MEMORY:
        pytest.skip("runs after the corpus (the corpus was deselected)")
    assert rss_mib() - MEMORY["rss"] < 512


def test_odd_but_valid_values_are_answered(servers):
    http = servers["deploy"]
    for extra in ({"temperature": 1e-300}, {"seed": -5}, {"seed": 2**63 - 1}, {"top_k": -1}, {"stop": []}):
        answer = http.post(CHAT, json={**GOOD, **extra})
        assert answer.status_code == 200, (extra, answer.text)
    # a tiny temperature is greedy decoding, not inf/NaN probabilities
    tiny = http.post(CHAT, json={**GOOD, "temperature": 1e-300}).json()["choices"][0]["message"]["content"]
    assert tiny == good_answer(http)


# ---------------------------------------------------------------- hypothesis
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "a\udfffb", "fuzz", "", "text", "auto", "user", "system"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "system", "assistant", "tool", "robot"]) | JSON},
    optional={"content": st.text(max_size=20) | JSON, "name": JSON, "extra": JSON},
)
FIELDS = sorted(
    {*INT_FIELDS, *FLOAT_FIELDS, *BOOL_FIELDS, *CHAT_ONLY, *STR_FIELDS, "stop", "stream_options", "logit_bias"}
)
PLAUSIBLE = st.integers(-3, 300) | st.floats(-3, 3) | st.booleans() | st.sampled_from(["fuzz", "x", [], {}, ["</s>"]])


@st.composite
def chat_bodies(draw):
    body = {"messages": draw(st.lists(MESSAGE, min_size=0, max_size=3) | JSON)}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        body[field] = draw(PLAUSIBLE | JSON)
    return body


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=chat_bodies())
def test_hypothesis_bodies_never_get_a_5xx(servers, body):
    answer = _send(servers, CHAT, body)
    assert answer.status_code < 500, (body, answer.text[:300])
    if answer.status_code >= 400:
        assert answer.json()["error"]["message"]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["prompt", "n", "logprobs", "echo", "max_tokens", "stop"]), JSON))
def test_hypothesis_completion_bodies_never_get_a_5xx(servers, body):
    answer = _send(servers, COMPLETIONS, body)
    assert answer.status_code < 500, (body, answer.text[:300])


def test_openapi_describes_every_request_body(servers):
    document = servers["deploy"].get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path, name in ((CHAT, "ChatCompletionRequest"), (COMPLETIONS, "CompletionRequest")):
        ref = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{name}"
    assert "messages" in schemas["ChatCompletionRequest"]["required"]
    assert {"presence_penalty", "logit_bias", "seed", "n"} <= set(schemas["ChatCompletionRequest"]["properties"])
    rollout = servers["rollout"].get("/openapi.json").json()
    assert {"RolloutInferRequest", "WeightPathRequest"} <= set(rollout["components"]["schemas"])
    assert all(ref.startswith("#/components/schemas/") for ref in _refs(document))


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
