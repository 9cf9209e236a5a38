"""The lexicon (`agents/data/lexicon.toml`): matching free text to the DSL's vocabularies."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources


@cache
def lexicon() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads(resources.files("agents").joinpath("data/lexicon.toml").read_text())


@cache
def _pattern(phrase: str) -> re.Pattern:
    # word start only, so "card" does not match "discarded"; phrases may end mid-word ("commingl")
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase.lower()))


def mentions(text: str, section: str) -> dict[str, int]:
    """Keys of a lexicon section mentioned in ``text``, with the position of the first hit."""
    low = text.lower()
    out: dict[str, int] = {}
    for key, phrases in lexicon()[section].items():
        hits = [m.start() for p in phrases for m in [_pattern(p).search(low)] if m]
        if hits:
            out[key] = min(hits)
    return out


def ordered_mentions(text: str, section: str) -> list[str]:
    """Mentioned keys, in order of first appearance."""
    found = mentions(text, section)
    return sorted(found, key=found.get)


def phrases_found(text: str, section: str, key: str) -> list[str]:
    low = text.lower()
    return [p for p in lexicon()[section][key] if _pattern(p).search(low)]


__all__ = ["lexicon", "mentions", "ordered_mentions", "phrases_found"]
