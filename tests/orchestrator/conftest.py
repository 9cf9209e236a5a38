"""Small run configs for the orchestrator tests."""

from __future__ import annotations

import json

import pytest

from orchestrator.config import RunConfig

JUDGE_SAYS_A = json.dumps({"winner": "a", "confidence": 0.7, "rationale": "evasion: A is less exposed"})


def tiny_config(**over) -> RunConfig:
    """A run of a few seconds: 2,000 accounts, a quick GINe, 4 rounds of 6 debates."""
    doc = {
        "name": "tiny", "seed": 5, "population": 6, "debate_turns": 2, "concurrency": 3,
        "coevolution_period": 2,
        "world": {"generate": {"accounts": 2000, "days": 10, "seed": 5}},
        "detectors": {"names": ["gine"], "training_share": 0.005, "overrides": {"gine": {"epochs": 15}}},
        "budgets": {"rounds": 4},
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k] = {**doc[k], **v}
        else:
            doc[k] = v
    return RunConfig.model_validate(doc)


def llm_judge_config(**over) -> RunConfig:
    """tiny_config with the judge played by a (scripted) chat model."""
    agents = {"judge": {"mode": "llm", "backend": "fake"}, "judge_swap_check": False,
              "backends": {"fake": {"kind": "scripted", "script": [JUDGE_SAYS_A] * 400}}}
    return tiny_config(agents=agents, **over)


@pytest.fixture
def tiny():
    return tiny_config
