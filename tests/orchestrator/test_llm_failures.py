"""An LLM run tells the truth about failure and cost: against a fake OpenAI-compatible
server whose answers are never a valid scenario, every HTTP request is stored and its
tokens count in the budget, failed turns name the model, fully failed rounds warn, and
too many of them in a row end the run with exit code 1."""

from __future__ import annotations

import sqlite3

from tests.fake_openai import FakeOpenAI
from tests.orchestrator.test_cli import run

CONFIG = """
name = "failing"
seed = 3
population = 3
debate_turns = 1
concurrency = 3
[world.generate]
accounts = 2000
days = 10
seed = 3
[detectors]
names = ["gine"]
training_share = 0.005
[detectors.overrides.gine]
epochs = 5
[agents.planner]
mode = "llm"
backend = "fake"
[agents.backends.fake]
kind = "openai"
model = "tiny-fake"
base_url = "{url}"
max_retries = 0
repair_attempts = 2
[budgets]
rounds = 5
failed_rounds = 2
"""


def test_failed_llm_calls_are_stored_and_counted_and_failing_rounds_end_the_run(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-key-never-sent-1234")  # not sent: base_url needs no key
    with FakeOpenAI('{"name": "not a scenario"}') as fake:
        cfg = tmp_path / "failing.toml"
        cfg.write_text(CONFIG.format(url=fake.url))
        code = run(monkeypatch, "run", cfg, "--run-dir", tmp_path / "run", "--inline")
        requests = fake.requests
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("warning: round") == 2 and "all 3 debates failed" in err
    assert "error:" in err and "2 consecutive rounds in which every debate failed" in err
    db = sqlite3.connect(tmp_path / "run" / "run.sqlite")
    rows = db.execute("SELECT ok, prompt_tokens, completion_tokens, model FROM llm_calls").fetchall()
    assert requests > 0 and len(rows) == requests  # every HTTP request, none of them a success for the role
    assert not any(r[0] for r in rows)  # an answer that is not a valid scenario is a failed request
    answered = [
        r for r in rows if r[1]
    ]  # HTTP 200 with usage: an invalid scenario, tokens spent all the same
    assert answered and all(r[1:3] == (11, 7) for r in answered)
    errors = [e for (e,) in db.execute("SELECT error FROM llm_calls WHERE prompt_tokens > 0")]
    assert errors and all(e.startswith("invalid Scenario: ") for e in errors)
    spent = sum(r[1] + r[2] for r in rows)
    assert spent == 18 * len(answered)
    assert db.execute("SELECT MAX(tokens) FROM rounds").fetchone()[0] == spent
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 2
    status = db.execute("SELECT value FROM meta WHERE key = 'status'").fetchone()[0]
    assert status.startswith("failed: 2 consecutive rounds")
    turns = db.execute(
        "SELECT model, tokens_in, tokens_out, error FROM turns WHERE role = 'planner'"
    ).fetchall()
    assert turns and all(t[0] == "tiny-fake" and t[1] > 0 and t[3] for t in turns)
    did = db.execute("SELECT id FROM debates LIMIT 1").fetchone()[0]
    assert run(monkeypatch, "show", tmp_path / "run", "debate", did) == 0
    shown = capsys.readouterr().out
    assert "planner (tiny-fake," in shown and "failed:" in shown and "procedural" not in shown
    assert "(json_mode): invalid Scenario: " in " ".join(
        shown.split()
    )  # every failed request, with its error
