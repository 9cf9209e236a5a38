"""`redledger experiment` end to end on a tiny config: the machinery, never the numbers.

The grid runs inline (the Ray path is the same `run_cell` per cell); every table carries
intervals and counts; a second run resumes and recomputes nothing; a lost cell is
recomputed; an output directory of another config and bad configs are refused in one line.
"""

from __future__ import annotations

import json
import sys
import tomllib

import pytest

from experiments.cli import main
from experiments.effect.config import ExperimentConfig
from experiments.effect.grid import plan
from tests.orchestrator.test_cli import one_error_line
from tests.orchestrator.test_cli import run as cli_run

TINY = """
name = "tiny"
arms = ["full", "no-evolver"]
seeds = [1, 2]
resamples = 200
workers = 1

[loop]
population = 4
debate_turns = 2
concurrency = 2
coevolution_period = 0

[loop.agents]
blend_in = false  # the harness's plumbing at a tiny scale: unblended drafts fill more archive cells

[loop.world.generate]
accounts = 1200
days = 30
seed = 31

[loop.detectors]
names = ["gine"]
training_share = 0.005

[loop.detectors.overrides.gine]
epochs = 6

[loop.detectors.overrides.sage]
epochs = 6

[loop.budgets]
rounds = 2

[heldout]
baseline_per_template = 1

[heldout.detectors]
"gine@1" = {epochs = 6, seed = 1}
rules = {}

[retrain]
detectors = ["rules", "gine@1"]
copies = 1

[realism]
sized = 4
draws = 2
"""


def run(monkeypatch, *args) -> int:
    """`redledger ARGS` through the full entry point (the orchestrator's commands plus experiment)."""
    return cli_run(monkeypatch, *args, main=main)


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    d = tmp_path_factory.mktemp("exp")
    (d / "tiny.toml").write_text(TINY)
    mp = pytest.MonkeyPatch()
    try:
        assert run(mp, "experiment", d / "tiny.toml", "--out", d / "out") == 0
    finally:
        mp.undo()
    return d


def test_an_experiment_writes_results_reports_plots_and_the_configs_used(done):
    out = done / "out"
    for name in ("results.json", "report.md", "report.html", "config.toml", "experiment.json",
                 "e1_money_recall.png", "e3_arms.png"):
        assert (out / name).is_file(), name
    assert (out / "config.toml").read_text() == (done / "tiny.toml").read_text()
    res = json.loads((out / "results.json").read_text())
    assert (
        res["detectors"] == ["gine@1", "rules"] and res["worlds"]["A"]["seed"] != res["worlds"]["B"]["seed"]
    )
    assert set(res["e3"]) == {"full", "no-evolver"}
    base = res["e1"]["per_detector"]["baseline"]["rules"]
    assert base["money_recall"]["n"] > 0 and base["money_recall"]["low"] <= base["money_recall"]["value"]
    md = (out / "report.md").read_text()
    for section in ("E1: hardness", "E2: training utility", "E3: one ablation per stage", "Realism", "E4"):
        assert section in md
    # every figure of the E1 detail tables is an interval with its n
    assert "(n=" in md and " [" in md and "| n |" in md
    html = (out / "report.html").read_text()
    assert "<table>" in html and "data:image/png;base64," in html
    # the headline: net funds in cases with no alert at three budgets, funds-matched, with n
    nf = res["net_funds"]
    assert nf["budgets"] == ["0.001", "0.005", "0.01"] and nf["placements"] == 3
    for b in nf["budgets"]:
        c = nf["arms"]["full"][b]["mean"]["drafts_elites"]
        if c["gap"] is not None:
            assert c["gap"]["low"] <= c["gap"]["value"] <= c["gap"]["high"] and c["bands"]
            assert c["gap"]["value"] == pytest.approx(c["second"]["value"] - c["first"]["value"])
        else:
            assert "no volume band" in c["why"]
    assert "net funds in cases with no alert" in md.lower() and "n drafts/elites" in md
    # every other arm's drafts and elites against the whole loop's, funds-matched; none for `full` itself
    assert all("full" not in nf["arms"]["full"][b]["mean"] for b in nf["budgets"])
    for b in nf["budgets"]:
        for kind in ("drafts", "elites"):
            c = nf["arms"]["no-evolver"][b]["mean"]["full"][kind]
            if c["gap"] is not None:
                assert c["gap"]["value"] == pytest.approx(c["second"]["value"] - c["first"]["value"])
    assert "| no-evolver | elites |" in md and "arm - `full` @ 0.1% (points)" in md
    # the loop's horizon fits B's test window: no elite is dropped for not fitting it
    assert all(res["e1"]["failed"][f"{a}/elites"]["count"] == 0 for a in ("full", "no-evolver"))
    records = json.loads((out / "cells" / "measure__full-s1__rules.json").read_text())["result"]["elites"]
    assert all(len(r["max_scores"]) == 3 for r in records["records"])
    # E2, leave one seed out: three training sets of equal size per held-out seed, four test
    # sets, each condition with an interval and the gains over both controls
    e2 = res["e2"]
    assert e2["heldout_family"] == "chain" and set(e2["detectors"]) == {"rules", "gine@1"}
    for h in (1, 2):
        cell = json.loads((out / "cells" / f"retrain__gine@1__templates-h{h}.json").read_text())["result"]
        elites = json.loads((out / "cells" / f"retrain__gine@1__elites-h{h}.json").read_text())["result"]
        assert cell["scenarios"] == elites["scenarios"]  # the control has as many scenarios
        assert set(cell["tested"]) == {"elites", "baseline", "family_elites", "family_baseline"}
    g = e2["detectors"]["gine@1"]["baseline"]
    assert g["n"] > 0
    caught = g["caught_funds@0.005"]
    assert set(caught) == {"original", "templates", "drafts", "elites", "gains"}
    gain = caught["gains"]["elites-templates"]
    assert gain["low"] <= gain["value"] <= gain["high"]
    assert gain["value"] == pytest.approx(caught["elites"]["value"] - caught["templates"]["value"])
    assert "held-out family" in md and "elites - templates" in md
    # novelty: how far each arm's elites and drafts are from the nearest template instance
    nov = res["realism"]["full"]["novelty"]
    for kind in ("elites", "drafts"):
        t = nov[kind]["to_reference"]
        assert nov[kind]["n"] > 0 and 0 <= t["low"] <= t["mean"] <= t["high"] <= 1
    assert "novelty elites / drafts" in md
    # single-split probes: one threshold per property, an interval over scenarios, the split
    for g in ("baseline", "full"):
        probes = res["realism"][g]["probes"]
        assert set(probes) == {"amount", "hour", "weekday", "payer_age_days"}
        for p in probes.values():
            assert 0 <= p["auc"]["low"] <= p["auc"]["high"] <= 1 and p["auc"]["n"] > 0
            assert p["rule"] == "no split" or "% of legitimate rows" in p["rule"]
    assert "Single-split probes" in md and "payer_age_days (days since" in md
    # every group's C2ST also at one number of scenarios, so groups of different size compare
    for g in ("baseline", "full", "no-evolver"):
        at = res["realism"][g]["sized"]
        assert at["n"] == 4 and at["low"] <= at["value"] <= at["high"]
    assert "C2ST AUC at n scenarios" in md and ") at 4 |" in md
    # the runs are ordinary run directories (show/report read them)
    assert (out / "runs" / "full-s1" / "run.sqlite").is_file()


def test_running_again_resumes_and_a_lost_cell_is_recomputed(done, monkeypatch):
    out = done / "out"
    cells = sorted((out / "cells").iterdir())
    assert len(cells) == len(
        plan(
            ExperimentConfig.model_validate_json(
                json.dumps(json.loads((out / "experiment.json").read_text())["config"])
            )
        ).cells
    )
    stamps = {p.name: p.stat().st_mtime_ns for p in cells}
    lost = out / "cells" / "measure__full-s2__rules.json"
    lost.unlink()
    assert run(monkeypatch, "experiment", done / "tiny.toml", "--out", out) == 0
    after = {p.name: p.stat().st_mtime_ns for p in (out / "cells").iterdir()}
    assert set(after) == set(stamps)
    changed = [k for k in after if after[k] != stamps[k]]
    assert changed == [lost.name]


def test_a_directory_written_before_a_config_field_existed_still_resumes(tmp_path):
    """effect-small's directory predates `heldout.max_drafts`: at its default it changes
    nothing computed, so the directory is still the same experiment's; a real difference is
    refused, and a field present on one side only is named."""
    import hashlib

    from experiments.effect.grid import MANIFEST, OutDirError, open_out
    from orchestrator.engine import first_difference

    cfg = ExperimentConfig.model_validate(tomllib.loads(TINY))
    old = cfg.model_dump(mode="json")
    del old["heldout"]["max_drafts"]
    digest = hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()[:16]
    (tmp_path / MANIFEST).write_text(json.dumps({"digest": digest, "config": old}))
    open_out(cfg, tmp_path, None)
    assert json.loads((tmp_path / MANIFEST).read_text())["digest"] == cfg.digest()
    named = first_difference(old, cfg.model_dump(mode="json"))
    assert named == "heldout.max_drafts (null here, absent in the run)"
    other = ExperimentConfig.model_validate(tomllib.loads(TINY.replace("resamples = 200", "resamples = 300")))
    with pytest.raises(OutDirError, match="first difference: resamples"):
        open_out(other, tmp_path, None)


def test_bad_configs_and_foreign_output_directories_are_refused(done, tmp_path, monkeypatch, capsys):
    other = tmp_path / "other.toml"
    other.write_text(TINY.replace("resamples = 200", "resamples = 300"))
    assert run(monkeypatch, "experiment", other, "--out", done / "out") == 2
    line = one_error_line(capsys.readouterr().err)
    assert "belongs to another experiment config" in line and "resamples" in line
    for text, rule in (
        (
            TINY.replace('arms = ["full", "no-evolver"]', 'arms = ["full", "no-such-arm"]'),
            "arms: Value error, unknown arm(s) ['no-such-arm']",
        ),
        (TINY.replace("seeds = [1, 2]", "seeds = [1]"), "retrain needs at least 2 seeds"),
        (
            TINY.replace("[heldout]", "[heldout]\nseed_offset = 0"),
            "heldout.seed_offset: Value error, seed_offset must not be 0",
        ),
        (
            TINY.replace("rules = {}", "nonsense = {}"),
            "heldout.detectors: Value error, unknown evaluation detector(s) ['nonsense']",
        ),
        (
            TINY.replace("rules = {}", "rules = {}\nsage = {}"),  # the default contrastive reference
            "loop.contrastive.reference ['sage'] is also a held-out evaluator",
        ),
        (
            TINY.replace("[loop.budgets]", '[loop.contrastive]\nreference = ["gine"]\n\n[loop.budgets]'),
            "loop.contrastive.reference ['gine'] is the loop's own detector in World A",
        ),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        assert run(monkeypatch, "experiment", bad, "--out", tmp_path / "o") == 2
        line = one_error_line(capsys.readouterr().err)
        assert str(bad) in line and rule in line, line
        assert not (tmp_path / "o").exists()


def test_an_interrupted_experiment_resumes_where_it_stopped(tmp_path):
    """Ctrl-C: cells in flight finish and are stored, the command exits with 130; the same
    command then finishes the rest without recomputing what was stored."""
    import os
    import signal
    import subprocess
    import time

    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        TINY.replace('arms = ["full", "no-evolver"]', 'arms = ["full"]').replace(
            "[retrain]", "[retrain]\nenabled = false"
        )
    )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "experiments.cli", "experiment", str(cfg), "--out", str(out), "--inline"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not list((out / "cells").glob("*.json")):
        time.sleep(0.2)  # the first cell is stored: interrupt during the next one
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 130, err
    assert "run the same command to resume" in err
    stored = {q.name: q.stat().st_mtime_ns for q in (out / "cells").iterdir()}
    assert stored and not (out / "results.json").exists()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    assert (out / "results.json").is_file()
    assert all((out / "cells" / k).stat().st_mtime_ns == v for k, v in stored.items())
    assert len(list((out / "cells").iterdir())) > len(stored)
    once = tmp_path / "once"  # the same experiment, never interrupted, gives the same results
    again = [*cmd[:-3], "--out", str(once), "--inline"]
    r = subprocess.run(again, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    resumed, whole = (json.loads((d / "results.json").read_text()) for d in (out, once))
    assert _untimed(resumed) == _untimed(whole)
    # wall time is kept per sitting: the interrupted one counts, and the cells add up
    two, one = resumed["sittings_seconds"], whole["sittings_seconds"]
    assert [r["complete"] for r in two["records"]] == [False, True] and two["summary"]["complete"]
    assert two["summary"]["whole"] and one["summary"]["whole"]
    first, second = two["records"]
    assert first["cells"] == len(stored) and second["pending"] == second["cells"] > 0
    assert two["summary"]["cells"] == one["summary"]["cells"] == len(list((out / "cells").iterdir()))
    assert two["summary"]["seconds"] == pytest.approx(sum(r["seconds"] for r in two["records"]))
    assert "over 2 sitting(s) that stored" in (out / "report.md").read_text()


def _untimed(doc):
    """``doc`` without its wall-clock figures (every key that counts seconds)."""
    if isinstance(doc, dict):
        return {k: _untimed(v) for k, v in doc.items() if "seconds" not in k}
    if isinstance(doc, list):
        return [_untimed(v) for v in doc]
    return doc


def test_shipped_experiment_configs_load():
    from pathlib import Path

    from experiments.effect.config import load_experiment

    configs = Path(__file__).parents[2] / "experiments" / "configs"
    small = load_experiment(configs / "effect-small.toml")
    assert len(small.arms) == 8 and len(small.seeds) >= 3 and len(small.heldout.detectors) >= 7
    assert {"gine@1", "sage", "gcn", "pna", "multi-gine", "lightgbm", "rules"} <= set(small.heldout.detectors)
    assert not small.plumbing_only
    paper = load_experiment(configs / "effect-paper.toml")
    assert (
        len(paper.seeds) > len(small.seeds)
        and paper.loop.world.generate.accounts > small.loop.world.generate.accounts
    )
    llm = load_experiment(configs / "effect-llm.toml")  # Qwen plans and mutates: a real model
    assert not llm.plumbing_only and set(llm.loop.agents.llm_roles()) == {"planner", "evolver"}
    assert llm.run_config("procedural", 1).agents.llm_roles() == []  # its baseline, all else equal
    llm.loop.agents.backends["qwen"].local.model = "smollm2"
    assert llm.plumbing_only  # SmolLM2-135M only tests the HTTP path
    blend = load_experiment(configs / "effect-blend.toml")  # blending against the whole loop, all else equal
    full, blended = blend.run_config("full", 1), blend.run_config("blend-in", 1)
    assert not full.agents.blend_in and blended.agents.blend_in and blend.retrain.arm == "blend-in"
    assert full.model_copy(update={"agents": blended.agents, "name": blended.name}) == blended


def test_the_readme_results_are_the_committed_results():
    """Every generated block of the README's Results (effect-small, effect-medium, the benchmark
    release) equals what its committed results.json gives."""
    import re
    from pathlib import Path

    from experiments.effect.readme import readme_block

    root = Path(__file__).parents[2]
    text = (root / "README.md").read_text()
    named = re.findall(r"<!-- results: generated from (\S+) by experiments.effect.readme", text)
    assert "experiments/results/effect-small/results.json" in named
    for path in named:
        res = json.loads((root / path).read_text())
        assert readme_block(res, path) in text, path
    small = root / "experiments" / "results" / "effect-small"
    res = json.loads((small / "results.json").read_text())
    assert res["name"] == "effect-small" and len(res["seeds"]) >= 3 and not res["plumbing_only"]
    assert sum(p.stat().st_size for p in small.iterdir()) < 1_000_000  # kept small


def test_an_agents_file_puts_llm_roles_into_every_arm_and_marks_plumbing(tmp_path):
    """The same experiment with LLM roles: `agents_file` replaces the loop's roles in every
    arm; a local or scripted model marks the report as plumbing only."""
    from experiments.effect.config import load_experiment
    from experiments.effect.report import markdown

    (tmp_path / "agents.toml").write_text(
        '[agents.judge]\nmode = "llm"\nbackend = "fake"\n\n'
        '[agents.backends.fake]\nkind = "scripted"\nscript = ["{}"]\n'
    )
    (tmp_path / "e.toml").write_text('agents_file = "agents.toml"\n' + TINY)
    cfg = load_experiment(tmp_path / "e.toml")
    assert cfg.plumbing_only
    for arm in cfg.arms:
        assert cfg.run_config(arm, 1).agents.judge.mode == "llm"
    assert cfg.loop.agents.planner.mode != "llm"  # only the roles the file names change
    (tmp_path / "bad.toml").write_text('agents_file = "missing.toml"\n' + TINY)
    from orchestrator.engine import ConfigFileError

    with pytest.raises(ConfigFileError, match="missing.toml: cannot read"):
        load_experiment(tmp_path / "bad.toml")
    assert "Plumbing only" in markdown({**_minimal_results(), "plumbing_only": True}, [])


def test_the_report_shows_the_llm_roles_validity_and_cost():
    """An arm whose planner ran on a model gets a row per LLM role: turns, valid answers after
    repairs, repairs per turn, tokens and seconds per valid answer and per accepted scenario;
    procedural arms get none."""
    from experiments.effect.report import markdown
    from experiments.effect.report_llm import llm_rows, llm_table

    res = _minimal_results()
    res["arms"] = ["full", "procedural"]
    usage = {"turns": 10, "valid": 6, "requests": 16, "prompt_tokens": 30000, "completion_tokens": 6000,
             "seconds": 900.0}
    for arm, llm in (("full", {"planner": usage}), ("procedural", {})):
        res["e3"][arm] = {"validity": {"proposals": 12, "valid": 5, "rate": 5 / 12}, "llm": llm}
    assert llm_rows(res) == [["full", "planner", 10, "6 (60%)", "0.60", "375", "6,000", "150", "5 / 180 s"]]
    assert "### LLM roles: validity and cost" in llm_table(res)
    res["e3"], res["arms"] = {}, ["full"]
    assert "LLM roles" not in markdown(res, [])


def _minimal_results() -> dict:
    """The smallest results document the report renders (an experiment whose loop made nothing)."""
    empty = {"n": 0}
    return {
        "name": "x",
        "plumbing_only": False,
        "arms": ["full"],
        "seeds": [1],
        "detectors": ["rules"],
        "loop_detectors": ["gine"],
        "budget": 0.005,
        "worlds": {k: {"seed": 1, "accounts": 1, "transactions": 1, "days": 1} for k in ("A", "B")},
        "e1": {
            "per_detector": {
                "baseline": {"rules": None},
                "full/drafts": {"rules": None},
                "full/elites": {"rules": None},
            },
            "mean": {"baseline": empty, "full/drafts": empty, "full/elites": empty},
            "gap": {"full": {}},
            "per_typology": {"baseline": {}, "drafts": {}, "elites": {}},
            "per_typology_arm": "full",
            "failed": {g: {"count": 0, "first": None} for g in ("baseline", "full/drafts", "full/elites")},
        },
        "e2": {},
        "e3": {},
        "realism": {},
        "e4": {"n": 0, "spearman": None, "why": "too few elites"},
    }


def test_a_failing_cell_is_one_line_and_keeps_the_stored_cells(done, tmp_path, monkeypatch, capsys):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(done / "out", out)
    (out / "world-B" / "ledger.parquet").unlink()  # World B is damaged ...
    (out / "cells" / "measure__full-s1__rules.json").unlink()  # ... and a cell that reads it must run again
    before = sorted(p.name for p in (out / "cells").iterdir())
    assert run(monkeypatch, "experiment", done / "tiny.toml", "--out", out) == 1
    line = [x for x in capsys.readouterr().err.splitlines() if "error:" in x][0]
    assert "cell measure/full-s1/rules failed" in line and "ledger.parquet" in line
    assert sorted(p.name for p in (out / "cells").iterdir()) == before


def test_each_generated_readme_block_is_updated_from_the_results_it_names(tmp_path):
    from pathlib import Path

    from experiments.effect.readme import BEGIN, END, update_readme

    small = Path(__file__).parents[2] / "experiments" / "results" / "effect-small" / "results.json"
    other = tmp_path / "medium.json"
    other.write_text(small.read_text())
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{BEGIN.format(path=small.as_posix())}\nold small\n{END}\ntext between\n"
                      f"{BEGIN.format(path=other.as_posix())}\nold medium\n{END}\n")
    update_readme(other, readme)
    text = readme.read_text()
    assert "old small" in text and "old medium" not in text and "text between" in text
    assert text.count("**Headline") == 1
    with pytest.raises(ValueError, match="no block begins with"):
        update_readme(tmp_path / "nowhere.json", readme)
