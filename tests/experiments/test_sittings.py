"""Wall time per sitting: a sitting that raises is still recorded, one with nothing to run is
not, and a log that began after some cells were stored says it does not cover the whole."""

from __future__ import annotations

import pytest

from experiments.effect.sittings import read_sittings, sitting, sittings_summary


def test_sittings_are_recorded_even_when_interrupted_and_summed(tmp_path):
    with sitting(tmp_path, 2, pending=5, total=9) as rec:  # 4 cells were stored before the log
        rec["cells"] = 3
    with pytest.raises(KeyboardInterrupt), sitting(tmp_path, 2, pending=2, total=9) as rec:
        rec["cells"] = 1
        raise KeyboardInterrupt
    with sitting(tmp_path, 2, pending=0, total=9):  # only the analysis: no sitting
        pass
    recs = read_sittings(tmp_path)
    assert [r["cells"] for r in recs] == [3, 1] and not any(r["complete"] for r in recs)
    s = sittings_summary(recs)
    assert s["sittings"] == 2 and s["cells"] == 4 and not s["whole"] and not s["complete"]
    assert s["seconds"] == pytest.approx(sum(r["seconds"] for r in recs))
    assert sittings_summary([]) is None
