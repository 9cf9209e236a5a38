"""Call discipline: cache, sample index, retries with backoff, timeouts, structured-output
method per endpoint, token accounting, clear errors, and the API key kept out of
everything written."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from agents.errors import ConfigError, LLMCallError
from agents.llm import Backend, BackendConfig, CallCache, collect_calls
from agents.models import Brief
from tests.fake_openai import FakeOpenAI

GOOD = Brief(typology="cycle", complexity=3).model_dump_json()
MSGS = [SystemMessage("You write briefs as JSON."), HumanMessage("One brief, please.")]


def ask(backend, role="encoder", sample=0):
    return asyncio.run(backend.client(role).structured(Brief, MSGS, sample))


def test_identical_calls_hit_the_cache_and_samples_do_not(scripted, tmp_path):
    b = scripted([GOOD, Brief(typology="fan_in").model_dump_json()])
    with collect_calls() as calls:
        first, again = ask(b), ask(b)
        other = ask(b, sample=1)
    assert first == again and other.typology.value == "fan_in"
    assert [c.cache_hit for c in calls] == [False, True, False]
    row = b.ledger.rows()[0]
    assert row["cache_hits"] == 1 and row["cached_tokens"] > 0
    assert row["spent"] == sum(c.prompt_tokens + c.completion_tokens for c in calls if not c.cache_hit)
    # a new process replays from the file alone: no model answers left in the script
    replay = scripted(["!error:500"])
    assert ask(replay) == first and ask(replay, sample=1) == other


def test_tokens_are_counted_per_role_and_model(scripted):
    b = scripted([GOOD, GOOD, GOOD], cache=False)
    ask(b, "planner"), ask(b, "critic"), ask(b, "critic", sample=2)
    rows = {r["role"]: r for r in b.ledger.rows()}
    assert rows["planner"]["calls"] == 1 and rows["critic"]["calls"] == 2
    assert rows["critic"]["prompt_tokens"] == 2 * rows["planner"]["prompt_tokens"] > 0
    assert b.ledger.spent == sum(r["spent"] for r in rows.values())


@pytest.mark.parametrize("failure", ["!error:429", "!error:500", "!error:timeout"])
def test_transient_failures_are_retried_with_backoff(scripted, failure):
    # the method is fixed: while an endpoint is probed, a 500 means "method not supported"
    b = scripted([failure, failure, GOOD], max_retries=3, backoff_s=0.05, structured_method="json_mode")
    t0 = time.monotonic()
    with collect_calls() as calls:
        assert ask(b).typology.value == "cycle"
    assert time.monotonic() - t0 >= 0.05 + 0.1  # waits doubled
    assert [c.ok for c in calls] == [False, False, True] and calls[0].error


def test_retries_are_bounded_and_the_error_names_endpoint_and_role(scripted):
    b = scripted(["!error:429"] * 5, max_retries=2, structured_method="json_mode")
    with pytest.raises(LLMCallError) as e:
        ask(b, "critic")
    assert str(e.value) == "role critic at scripted://fake: rate limited (HTTP 429) (after 2 retries)"


def test_a_hanging_endpoint_times_out(scripted):
    b = scripted(["!error:hang", GOOD], timeout_s=0.2, max_retries=0)
    t0 = time.monotonic()
    with pytest.raises(LLMCallError, match=r"role judge at scripted://fake: no answer within 0.2 s"):
        ask(b, "judge")
    assert time.monotonic() - t0 < 5


def test_auth_failures_are_not_retried(scripted):
    b = scripted(["!error:auth", GOOD], max_retries=3)
    with pytest.raises(
        LLMCallError, match=r"authentication failed \(HTTP 401\); check the key in \$OPENAI_API_KEY"
    ):
        ask(b)


def test_the_structured_method_is_found_per_endpoint_and_remembered(tmp_path):
    cfg = BackendConfig(kind="scripted", script=[GOOD, GOOD])
    from agents.llm.scripted import scripted_model

    cache = CallCache(tmp_path / "c.sqlite")
    model = scripted_model([GOOD, GOOD], reject_methods=["json_schema"], cache=cache)
    b = Backend(cfg, cache=cache, chat_model=model)
    with collect_calls() as calls:
        ask(b), ask(b, sample=1)
    assert [(c.method, c.ok) for c in calls] == [
        ("json_schema", False),
        ("json_mode", True),
        ("json_mode", True),
    ]
    assert cache.method_for(b._method_key) == "json_mode"


# ---------------------------------------------------------------- a real HTTP endpoint


@pytest.fixture
def endpoint():
    with FakeOpenAI(GOOD, key="good-key") as srv:
        yield srv.url


def _openai(url, tmp_path, **kw):
    cfg = BackendConfig(
        kind="openai", model="tiny", base_url=url, api_key_env="REDLEDGER_TEST_KEY", backoff_s=0.01, **kw
    )
    return Backend(cfg, cache=CallCache(tmp_path / "calls.sqlite")).start()


def test_openai_backend_over_http(endpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("REDLEDGER_TEST_KEY", "good-key")
    b = _openai(endpoint, tmp_path)
    with collect_calls() as calls:
        assert ask(b).typology.value == "cycle"
        ask(b)
    assert [(c.method, c.ok, c.cache_hit) for c in calls] == [
        ("json_schema", False, False),
        ("json_mode", True, False),
        ("json_mode", True, True),
    ]
    assert calls[1].prompt_tokens == 11 and calls[1].completion_tokens == 7


def test_wrong_key_fails_clearly_and_the_key_is_never_written(endpoint, tmp_path, monkeypatch, caplog):
    secret = "sk-WRONG-0123456789abcdef"
    monkeypatch.setenv("REDLEDGER_TEST_KEY", secret)
    caplog.set_level(logging.DEBUG)
    b = _openai(endpoint, tmp_path)
    with collect_calls() as calls, pytest.raises(LLMCallError) as e:
        ask(b, "planner")
    msg = str(e.value)
    assert msg == (
        f"role planner at {endpoint}: authentication failed (HTTP 401); check the key in $REDLEDGER_TEST_KEY"
    )
    written = [
        msg,
        caplog.text,
        json.dumps(b.ledger.rows()),
        json.dumps([c.as_dict() for c in calls]),
        (tmp_path / "calls.sqlite").read_bytes().decode("latin-1"),
    ]
    # a successful call too, so that the cache file holds an answer
    monkeypatch.setenv("REDLEDGER_TEST_KEY", "good-key")
    ok = _openai(endpoint, tmp_path)
    ask(ok)
    for f in tmp_path.iterdir():
        written.append(f.read_bytes().decode("latin-1"))
    for text in written:
        assert secret not in text and "WRONG-0123" not in text
    assert "good-key" not in (tmp_path / "calls.sqlite").read_bytes().decode("latin-1")


def test_unreachable_endpoint_names_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("REDLEDGER_TEST_KEY", "k")
    b = _openai("http://127.0.0.1:9/v1", tmp_path, max_retries=1, timeout_s=5)
    with pytest.raises(LLMCallError) as e:
        ask(b, "evolver")
    assert str(e.value).startswith("role evolver at http://127.0.0.1:9/v1: cannot connect to the endpoint")


def test_a_missing_key_variable_is_a_config_error(monkeypatch):
    monkeypatch.delenv("REDLEDGER_TEST_KEY", raising=False)
    with pytest.raises(
        ConfigError, match="backend.api_key_env: environment variable REDLEDGER_TEST_KEY is not set"
    ):
        Backend(BackendConfig(kind="openai", api_key_env="REDLEDGER_TEST_KEY")).start()


def test_a_keyless_endpoint_needs_no_key_variable_and_never_gets_openais_key(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret-0123456789")
    with FakeOpenAI(GOOD) as srv:
        b = Backend(BackendConfig(kind="openai", model="tiny", base_url=srv.url)).start()
        assert ask(b).typology.value == "cycle"
    assert srv.keys and not any("openai-secret" in k for k in srv.keys)


def test_a_named_key_variable_must_be_set_even_for_a_base_url(monkeypatch):
    monkeypatch.delenv("REDLEDGER_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="environment variable REDLEDGER_TEST_KEY is not set"):
        Backend(
            BackendConfig(kind="openai", base_url="http://127.0.0.1:9/v1", api_key_env="REDLEDGER_TEST_KEY")
        ).start()


# ---------------------------------------------------------------- failures told apart


def test_a_passing_500_is_retried_and_never_taken_for_a_refused_method(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    b = Backend(BackendConfig(kind="scripted", script=["!error:500", GOOD], backoff_s=0.01), cache=cache)
    with collect_calls() as calls:
        assert ask(b).typology.value == "cycle"
    assert [(c.method, c.ok) for c in calls] == [("json_schema", False), ("json_schema", True)]
    assert calls[0].error == "HTTP 500: server error"
    assert cache.method_for(b._method_key) == "json_schema"  # not json_mode, pinned for good


def test_an_answer_that_breaks_the_schema_is_a_failed_request_with_its_error(scripted):
    b = scripted(['{"typology": "no_such_typology"}', GOOD], structured_method="json_mode")
    with collect_calls() as calls:
        assert ask(b).typology.value == "cycle"
    assert [c.ok for c in calls] == [False, True]
    assert calls[0].error.startswith("invalid Brief: ") and "no_such_typology" in calls[0].error
    assert calls[0].completion_tokens > 0  # the tokens of the bad answer still count


def test_a_malformed_body_is_one_line_naming_the_endpoint_and_the_byte(tmp_path, monkeypatch):
    monkeypatch.setenv("REDLEDGER_TEST_KEY", "k")
    cut = b'{"id": "x", "choices": [{"message": {"content": "unterminat'
    with FakeOpenAI(GOOD, first=[(200, cut)]) as srv:
        b = _openai(srv.url, tmp_path, max_retries=0, structured_method="json_mode")
        with collect_calls() as calls, pytest.raises(LLMCallError) as e:
            ask(b, "planner")
    msg = str(e.value)
    assert "\n" not in msg
    byte = cut.index(b'"unterminat')
    assert msg == (
        f"role planner at {srv.url}: malformed response body from {srv.url}: not valid JSON at "
        f"byte {byte} (unterminated string starting at)"
    )
    assert calls[0].error == msg.split(": ", 1)[1]


def test_a_malformed_body_is_retried_like_a_passing_fault(tmp_path, monkeypatch):
    monkeypatch.setenv("REDLEDGER_TEST_KEY", "k")
    with FakeOpenAI(GOOD, first=[(200, b"{not json")]) as srv:
        b = _openai(srv.url, tmp_path, max_retries=1, structured_method="json_mode")
        with collect_calls() as calls:
            assert ask(b).typology.value == "cycle"
    assert [c.ok for c in calls] == [False, True] and "malformed response body" in calls[0].error
