"""Checks of a run config that need more than its pydantic rules, made before any work.

`redledger run` calls `check_run_config` before it creates the run directory, starts Ray or
builds a World, so a misspelt detector name or a missing key costs a second, not a
half-built run directory and a traceback.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from agents import ConfigError, check_agents
from agents.principles import load_principles
from orchestrator.engine.config import RunConfig


def _detectors(cfg: RunConfig) -> None:
    from detectors import REGISTRY, make  # torch loads only when a run is really started

    known = ", ".join(sorted(REGISTRY))
    for field, names in (
        ("detectors.names", cfg.detectors.names),
        ("contrastive.reference", cfg.contrastive.reference if cfg.contrastive.enabled else []),
    ):
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise ConfigError(f"{field}: unknown detector(s) {', '.join(unknown)} (known: {known})")
    trained = set(cfg.detectors.names) | (
        set(cfg.contrastive.reference) if cfg.contrastive.enabled else set()
    )
    for name, over in sorted(cfg.detectors.overrides.items()):
        if name not in trained:
            raise ConfigError(
                f"detectors.overrides.{name}: not a detector of this run "
                f"(trained: {', '.join(sorted(trained))})"
            )
        try:
            make(name, **over)
        except ValidationError as err:
            e = err.errors()[0]
            where = ".".join(str(x) for x in e["loc"])
            raise ConfigError(f"detectors.overrides.{name}.{where}: {e['msg']}") from None
        except (TypeError, ValueError) as err:
            raise ConfigError(f"detectors.overrides.{name}: {' '.join(str(err).split())[:300]}") from None


def _world(cfg: RunConfig) -> None:
    p = cfg.world.path
    if p is None:
        return
    if not Path(p).is_dir():
        raise ConfigError(f"world.path: {p} is not a directory")
    if not (Path(p) / "world.json").is_file():
        raise ConfigError(
            f"world.path: {p} holds no World (world.json is missing; write one with `redledger world`)"
        )


def _realism(cfg: RunConfig) -> None:
    if "realism_discriminator" in (cfg.agents.checks or []) and not cfg.realism.enabled:
        raise ConfigError(
            "agents.checks: 'realism_discriminator' needs the realism discriminator (realism.enabled = true)"
        )
    if load_principles(cfg.agents.principles).critic.discriminator_gate.enabled:
        where = cfg.agents.principles or "agents/principles.toml"
        if not cfg.realism.enabled:
            raise ConfigError(f"{where}: critic.discriminator_gate needs the realism discriminator "
                              "(realism.enabled = true)")
        if cfg.agents.checks and "realism_discriminator" not in cfg.agents.checks:
            raise ConfigError(f"{where}: critic.discriminator_gate needs the check 'realism_discriminator' "
                              "in agents.checks")


def check_run_config(cfg: RunConfig) -> None:
    """Raises: ConfigError, one line naming the field and the rule."""
    _world(cfg)
    check_agents(cfg.agents)
    _detectors(cfg)
    _realism(cfg)


__all__ = ["check_run_config"]
