"""The HTML report renders in a real headless Chromium, self-contained and complete."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from orchestrator.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(finished_run, tmp_path_factory):
    return write_report(finished_run, tmp_path_factory.mktemp("report") / "report.html")


def test_report_is_self_contained(report):
    html = report.read_text()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert html.count('src="data:image/png;base64,') >= 3
    for anchor in (
        'id="summary"',
        'id="progress-chart"',
        'id="archive-heatmap"',
        'class="scenario"',
        'class="turn',
    ):
        assert anchor in html


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)")
def test_report_renders_in_chromium(report, tmp_path):
    dom = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'a'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-images="loaded"' in dom  # every inline image decoded with a size
    assert "Top scenarios by Elo" in dom and dom.count('class="scenario"') >= 1
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'b'}",
            "--window-size=1280,2000",
            f"--screenshot={shot}",
            report.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from matplotlib.image import imread

    img = imread(shot)
    assert img.shape[0] == 2000 and img.shape[1] == 1280
    assert float(np.std(img[:, :, :3])) > 0.05  # not a blank page
    # the charts are drawn: many non-white, non-grey pixels (colour) in the page
    colour = np.abs(img[:, :, 0] - img[:, :, 2]) > 0.2
    assert colour.mean() > 0.002


def test_report_bad_input(monkeypatch, tmp_path, capsys):
    from tests.orchestrator.test_cli import one_error_line, run

    assert run(monkeypatch, "report", tmp_path, "--out", tmp_path / "r.html") == 2
    assert "no run here" in one_error_line(capsys.readouterr().err)


def test_the_summary_says_how_far_the_archive_is_from_the_templates(report, finished_run):
    import html as html_lib

    from orchestrator.engine import RunView
    from orchestrator.report import archive_novelty

    text = html_lib.unescape(report.read_text())
    line = re.search(r"novelty: distance to the nearest template.*?(\d\.\d{3}) \[(\d\.\d{3}), (\d\.\d{3})\] "
                     r"over (\d+) elites", text, re.S)
    assert line is not None
    mean, low, high, n = float(line[1]), float(line[2]), float(line[3]), int(line[4])
    assert 0 <= low <= mean <= high <= 1 and n >= 1
    v = RunView.open(finished_run)
    try:
        assert archive_novelty(v, finished_run) == archive_novelty(v, finished_run)  # seeded, reproducible
        assert f"over {len(v.archive())} elites" in archive_novelty(v, finished_run)
    finally:
        v.close()
