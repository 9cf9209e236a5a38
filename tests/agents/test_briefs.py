"""The encoder: briefs from the library and from documents, and the `redledger briefs` CLI."""

from __future__ import annotations

import json
from pathlib import Path

from agents.briefs import document_briefs, library_briefs, split_passages
from agents.models import Brief
from graph_schema.enums import Typology
from tests.orchestrator.test_cli import one_error_line, run

REPORT = Path(__file__).parent / "data" / "report.md"


def test_library_briefs_cover_every_typology():
    briefs = library_briefs(per_template=2, seed=1)
    assert {b.typology for b in briefs} == set(Typology)
    assert len(briefs) == 36 and len({b.complexity for b in briefs}) > 2
    assert all(b.source.startswith("library:") and b.notes for b in briefs)


def test_document_briefs_read_what_the_passages_say():
    text = REPORT.read_text()
    assert len(split_passages(text)) >= 4
    briefs = document_briefs("report.md", text)
    by = {b.typology: b for b in briefs}
    s = by[Typology.STRUCTURING]
    assert "amounts just below thresholds" in s.avoid and "Cash" in [c.value for c in s.channels]
    shell = by[Typology.SHELL_LAYERING]
    assert {"CY", "KY"} <= set(shell.jurisdictions) and "rapid pass-through" in shell.avoid
    mule = by[Typology.MULE_NETWORK]
    assert "many new accounts" in mule.avoid and "ACH" in [c.value for c in mule.channels]
    crypto = by[Typology.CRYPTO_RAMP]
    assert "AE" in crypto.jurisdictions and "money_service" in [a.value for a in crypto.actors]
    assert all(b.source.startswith("doc:report.md#p") for b in briefs)
    assert not any("history of the reporting regime" in b.notes for b in briefs)


def test_briefs_cli_writes_jsonl(monkeypatch, tmp_path):
    out = tmp_path / "briefs.jsonl"
    assert run(monkeypatch, "briefs", "--from", REPORT, "--library", "--out", out) == 0
    lines = out.read_text().splitlines()
    briefs = [Brief.model_validate_json(x) for x in lines]
    assert len(briefs) >= 18 + 4 and json.loads(lines[0])["typology"]


def test_briefs_cli_bad_input(monkeypatch, tmp_path, capsys):
    out = tmp_path / "b.jsonl"
    assert run(monkeypatch, "briefs", "--from", tmp_path / "missing.md", "--out", out) == 2
    assert "missing.md: cannot read" in one_error_line(capsys.readouterr().err)
    empty = tmp_path / "empty.md"
    empty.write_text("Nothing about any scheme here.\n")
    assert run(monkeypatch, "briefs", "--from", empty, "--out", out) == 2
    assert "no briefs" in one_error_line(capsys.readouterr().err)
    assert not out.exists()
    bad = tmp_path / "llm.toml"
    bad.write_text('kind = "openai"\ntemperature = 9\n')
    assert run(monkeypatch, "briefs", "--from", REPORT, "--llm", bad, "--out", out) == 2
    assert "llm.toml: temperature: " in one_error_line(capsys.readouterr().err)


def test_principles_cli_lists_checks_and_operators(monkeypatch, capsys):
    assert run(monkeypatch, "principles") == 0
    shown = capsys.readouterr().out
    assert "amount_plausibility" in shown and "reduce_fan_degree" in shown
