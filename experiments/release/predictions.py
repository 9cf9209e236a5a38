"""Predictions files for `redledger evaluate`, read strictly.

A predictions file is CSV text::

    # release: redledger-bench-v1 3f2a9c0d1e2b4a5c     (optional: the release it was written for)
    tx_id,score
    4012345,0.0213
    ...

Every test transaction of the release needs a score. Validation transactions may be scored
too (all of them or none): `evaluate` then picks the F1 threshold on validation. Any other
id, a duplicate id, or a score that is not a finite number is an error naming the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = "tx_id,score"
RELEASE_TAG = "# release:"


class PredictionError(ValueError):
    """A predictions file breaks a rule (one line naming the file, the line and the rule)."""


@dataclass
class Scored:
    test: np.ndarray  # score per test transaction, in the release's test order
    validation: np.ndarray | None  # score per validation transaction, or None


def release_line(slug: str, digest: str) -> str:
    return f"{RELEASE_TAG} {slug} {digest}"


def write_predictions(path: Path, slug: str, digest: str, ids: np.ndarray, scores: np.ndarray) -> None:
    """Write a predictions file (with its release line), atomically."""
    from graph_schema.formats.atomic import write_text_atomic

    body = "\n".join(f"{int(i)},{float(s):.9g}" for i, s in zip(ids, scores, strict=True))
    write_text_atomic(path, f"{release_line(slug, digest)}\n{HEADER}\n{body}\n")


def _first_bad(values: list[str], ok) -> int:
    return next(i for i, v in enumerate(values) if not ok(v))


def _is_int(v: str) -> bool:
    try:
        int(v)
        return True
    except ValueError:
        return False


def _is_finite(v: str) -> bool:
    try:
        return bool(np.isfinite(float(v)))
    except ValueError:
        return False


def _parse(path: Path, slug: str, digest: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids, scores, line number of the first data row)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise PredictionError(f"{path}: cannot read the predictions file ({err})") from None
    first = 0
    if lines and lines[0].startswith(RELEASE_TAG):
        got = lines[0][len(RELEASE_TAG):].split()
        if got != [slug, digest]:
            raise PredictionError(f"{path}:1: release: the file was written for {' '.join(got) or '(none)'}; "
                                  f"this release is {slug} {digest}")
        first = 1
    if len(lines) <= first or lines[first].strip().replace(" ", "") != HEADER:
        seen = lines[first] if len(lines) > first else "(end of file)"
        raise PredictionError(f"{path}:{first + 1}: header '{seen[:40]}': must be '{HEADER}'")
    body = lines[first + 1:]
    start = first + 2
    parts = [r.split(",") for r in body]
    bad = next((i for i, p in enumerate(parts) if len(p) != 2), None)
    if bad is not None:
        raise PredictionError(f"{path}:{start + bad}: row '{body[bad][:40]}': must be two fields, "
                              "tx_id,score")
    ids_s = [p[0].strip() for p in parts]
    sc_s = [p[1].strip() for p in parts]
    try:
        ids = np.array(ids_s, dtype=np.int64) if ids_s else np.zeros(0, np.int64)
    except (ValueError, OverflowError):
        i = _first_bad(ids_s, _is_int)
        raise PredictionError(f"{path}:{start + i}: tx_id '{ids_s[i][:30]}': not an integer") from None
    try:
        scores = np.array(sc_s, dtype=np.float64) if sc_s else np.zeros(0)
    except ValueError:
        scores = None
    if scores is None or not np.isfinite(scores).all():
        i = _first_bad(sc_s, _is_finite)
        raise PredictionError(f"{path}:{start + i}: score '{sc_s[i][:30]}': not a finite number")
    return ids, scores, start


def _duplicates(path: Path, ids: np.ndarray, start: int) -> None:
    order = np.argsort(ids, kind="stable")
    same = np.flatnonzero(ids[order][1:] == ids[order][:-1])
    if len(same):
        later = order[same + 1]
        i = int(later.min())  # the earliest line that repeats an id
        j = int(np.flatnonzero(ids == ids[i])[0])
        raise PredictionError(f"{path}:{start + i}: tx_id {ids[i]}: duplicate (first at line {start + j})")


def _missing(path: Path, want: np.ndarray, have: np.ndarray, what: str, rule: str) -> None:
    miss = want[~np.isin(want, have)]
    if len(miss):
        more = f" and {len(miss) - 1} more" if len(miss) > 1 else ""
        raise PredictionError(f"{path}: tx_id {miss[0]}{more}: {what} without a score ({rule})")


def read_predictions(path: Path, slug: str, digest: str, test_ids: np.ndarray,
                     val_ids: np.ndarray) -> Scored:
    """Scores aligned with the release's sorted ``test_ids`` (and ``val_ids``, if given).

    Raises:
        PredictionError: the file breaks a rule of the format.
    """
    ids, scores, start = _parse(Path(path), slug, digest)
    _duplicates(path, ids, start)
    known = np.isin(ids, test_ids) | np.isin(ids, val_ids)
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise PredictionError(f"{path}:{start + i}: tx_id {ids[i]}: not a test or validation transaction "
                              f"of {slug} (a file of another release?)")
    _missing(path, test_ids, ids, "test transaction(s)", "every test transaction needs a score")
    in_val = np.isin(ids, val_ids)
    val = None
    if in_val.any():
        _missing(path, val_ids, ids[in_val], "validation transaction(s)",
                 "score every validation transaction, for the F1 threshold, or none")
        o = np.argsort(ids[in_val])
        val = scores[in_val][o]
    o = np.argsort(ids[~in_val])
    return Scored(scores[~in_val][o], val)


__all__ = ["HEADER", "PredictionError", "Scored", "read_predictions", "release_line", "write_predictions"]
