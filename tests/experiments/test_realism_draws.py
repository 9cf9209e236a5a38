"""The realism-draws bench: draw 0 is the evolution bench's own C2ST, and another draw puts
the same scenarios on other accounts."""

from __future__ import annotations

import math

import numpy as np


def test_draw_zero_is_the_evolution_benchs_figure_and_another_draw_recruits_other_accounts(small_world):
    from experiments.bench.evolution import compiled_in, ledger_window
    from experiments.bench.realism_draws import (
        agreement,
        compiled_draw,
        judge_draw,
        judged_over_draws,
        report,
    )
    from experiments.effect.realism import c2st
    from graph_schema.baseline import sample_baseline

    scenarios = [c.scenario for c in sample_baseline(small_world, 10**9, 3, limit=12)]
    first, second = judge_draw(small_world, scenarios, 0), judge_draw(small_world, scenarios, 1)
    bench = c2st(small_world, ledger_window(small_world), compiled_in(scenarios, small_world), resamples=50)
    assert first.auc == bench.auc.value and first.accounts == bench.scenario_accounts
    assert first.scenarios == len(compiled_in(scenarios, small_world))

    a, b = compiled_draw(scenarios, small_world, 0), compiled_draw(scenarios, small_world, 1)
    hijacked = [i for i in a if i in b and any(x >= 0 for x in a[i].entity_accounts.values())]
    assert hijacked and any(a[i].entity_accounts != b[i].entity_accounts for i in hijacked)

    assert set(first.ranks) <= set(range(len(scenarios)))
    assert all(0.0 <= r <= 1.0 for r in first.ranks.values())
    rho, n = agreement(first, second)
    assert n == len(set(first.ranks) & set(second.ranks)) and -1.0 <= rho <= 1.0 and not math.isnan(rho)
    line = report("final", [first, second])
    assert f"{first.auc:.3f}" in line and f"mean {np.mean([first.auc, second.auc]):.3f}" in line
    assert judged_over_draws({"final": scenarios}, small_world, 2) == line  # what the evolution bench prints


def test_a_saved_population_that_is_not_scenarios_is_refused_in_one_line_naming_file_and_line(
        tmp_path, monkeypatch, capsys):
    import pytest

    from experiments.bench import realism_draws

    (tmp_path / "seeds.jsonl").write_text('{"name": "x"}\n')
    (tmp_path / "final.jsonl").write_text("")
    monkeypatch.setattr("sys.argv", ["realism_draws", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        realism_draws.main()
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and len(err.splitlines()) == 1
    assert f"{tmp_path / 'seeds.jsonl'}:1: " in err and "Field required" in err

    (tmp_path / "final.jsonl").unlink()
    with pytest.raises(SystemExit) as exit_:
        realism_draws.main()
    assert exit_.value.code == 2 and "final.jsonl: no such file" in capsys.readouterr().err
