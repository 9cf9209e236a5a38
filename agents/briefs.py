"""The encoder: briefs (CodecLM's metadata) from the typology library or from text.

From user documents such as typology reports it works like Bonito, which makes tasks from
unannotated text: the text is cut into passages and each passage that names a typology
yields a brief with the payment formats, jurisdictions, actors and red flags it mentions.
The procedural encoder matches the lexicon (`agents/data/lexicon.toml`); the LLM encoder
asks a chat model for the same `Brief` models.
"""

from __future__ import annotations

import re

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from agents.lexicon import mentions, ordered_mentions, phrases_found
from agents.llm.backend import LLMClient
from agents.llm.prompts import render
from agents.models import Brief
from graph_schema.enums import Channel, EntityKind, Typology
from graph_schema.typologies import library

PASSAGE_MIN, PASSAGE_MAX = 200, 1500


def library_briefs(per_template: int = 1, seed: int = 0) -> list[Brief]:
    """Briefs from every template of the typology library, with varied complexity."""
    rng = np.random.default_rng(seed)
    out = []
    for name, t in sorted(library().items()):
        channels = sorted({c for k, spec in t.params.items() if "channel" in k
                           for c in spec.get("choice", []) if c in set(Channel)})
        jurs = sorted({j for k, spec in t.params.items() if k in ("jur", "home", "offshore")
                       for j in spec.get("choice", []) if isinstance(j, str)})
        for _ in range(per_template):
            out.append(Brief(typology=Typology(t.typology[0]), channels=[Channel(c) for c in channels],
                             jurisdictions=jurs, complexity=int(rng.integers(1, 6)),
                             notes=t.summary[:400], source=f"library:{name}"))
    return out


def split_passages(text: str) -> list[str]:
    """Paragraphs merged up to ``PASSAGE_MIN`` characters and cut at ``PASSAGE_MAX``."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    out, cur = [], ""
    for p in paras:
        cur = f"{cur} {p}".strip()
        if len(cur) >= PASSAGE_MIN:
            out.extend(cur[i:i + PASSAGE_MAX] for i in range(0, len(cur), PASSAGE_MAX))
            cur = ""
    if cur:
        if out and len(cur) < PASSAGE_MIN:
            out[-1] = f"{out[-1]} {cur}"[:PASSAGE_MAX]
        else:
            out.append(cur)
    return out


def _context(passage: str) -> str:
    """Up to two descriptive sentences; sentences that read as instructions are left out."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", passage) if s
                 and not phrases_found(s, "scope", "instructions")
                 and not phrases_found(s, "scope", "real_institutions")]
    return " ".join(sentences[:2])[:400]


def passage_briefs(passage: str, source: str, max_briefs: int = 2) -> list[Brief]:
    """Procedural briefs of one passage (none if it names no typology)."""
    typs = ordered_mentions(passage, "typology")[:max_briefs]
    if not typs:
        return []
    channels = [Channel(c) for c in ordered_mentions(passage, "channel")]
    jurs = ordered_mentions(passage, "jurisdiction")
    actors = [EntityKind(a) for a in ordered_mentions(passage, "actor")]
    avoid = sorted(mentions(passage, "red_flags"))
    numbers = [
        int(n)
        for n in re.findall(r"\b(\d{1,3})\s+(?:accounts|companies|individuals|mules|entities)", passage)
    ]
    size = len(channels) + len(jurs) + len(actors) + (max(numbers) // 5 if numbers else 0)
    complexity = int(np.clip(1 + size // 2, 1, 5))
    return [
        Brief(
            typology=Typology(t),
            channels=channels,
            jurisdictions=jurs,
            actors=actors,
            complexity=complexity,
            avoid=avoid,
            notes=_context(passage),
            source=source,
        )
        for t in typs
    ]


def document_briefs(name: str, text: str) -> list[Brief]:
    """Procedural briefs of a whole document; ``name`` goes into each brief's source."""
    out = []
    for i, p in enumerate(split_passages(text)):
        out.extend(passage_briefs(p, f"doc:{name}#p{i}"))
    return out


class BriefBatch(BaseModel):
    """The encoder model's answer for one passage."""

    model_config = ConfigDict(extra="forbid")

    briefs: list[Brief] = Field(description="Briefs the passage supports; empty if none.")


class LLMBriefEncoder:
    """Briefs of a document from a chat model, passage by passage."""

    def __init__(self, client: LLMClient, max_briefs: int = 3):
        self.client, self.max_briefs = client, max_briefs

    async def encode(self, name: str, text: str) -> list[Brief]:
        out = []
        for i, p in enumerate(split_passages(text)):
            source = f"doc:{name}#p{i}"
            msgs = [
                SystemMessage(render("briefs_system")),
                HumanMessage(
                    render(
                        "briefs_user",
                        max_briefs=self.max_briefs,
                        source=source,
                        text=p,
                        typologies=[t.value for t in Typology],
                    )
                ),
            ]
            batch = await self.client.structured(BriefBatch, msgs, 0)
            out.extend(b.model_copy(update={"source": source}) for b in batch.briefs[: self.max_briefs])
        return out


__all__ = [
    "BriefBatch",
    "LLMBriefEncoder",
    "document_briefs",
    "library_briefs",
    "passage_briefs",
    "split_passages",
]
