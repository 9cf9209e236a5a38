"""The run directory's layout: every file and folder a run keeps, named in one place.

```
RUN_DIR/
  run.sqlite        the run store (written by the supervisor and the run set-up only)
  expert.sqlite     expert verdicts (written by `redledger serve` only)
  llm_cache.sqlite  the LLM call cache
  STOP              present while a graceful stop is requested
  world/            the generated World (absent when the config names `world.path`)
  detectors/vN/     detector version N: one folder per detector, metrics.json, world_scores/
  realism/rNNNN.json  the realism discriminator fitted after round NNNN (r-001: before round 0)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STORE = "run.sqlite"
EXPERT_STORE = "expert.sqlite"
LLM_CACHE = "llm_cache.sqlite"
STOP = "STOP"


@dataclass(frozen=True)
class RunLayout:
    """The paths of one run directory (``world_path``: the config's `world.path`, if set)."""

    run_dir: Path
    world_path: Path | None = None

    @classmethod
    def of(cls, run_dir: str | Path, cfg=None) -> RunLayout:
        """The layout of ``run_dir`` for run config ``cfg`` (None: a generated World)."""
        path = cfg.world.path if cfg is not None else None
        return cls(Path(run_dir), Path(path) if path else None)

    @property
    def store(self) -> Path:
        return self.run_dir / STORE

    @property
    def expert_store(self) -> Path:
        return self.run_dir / EXPERT_STORE

    @property
    def llm_cache(self) -> Path:
        return self.run_dir / LLM_CACHE

    @property
    def stop(self) -> Path:
        return self.run_dir / STOP

    @property
    def generated_world(self) -> Path:
        return self.run_dir / "world"

    @property
    def world(self) -> Path:
        """The World the run uses: the config's `world.path`, or the one generated inside."""
        return self.world_path or self.generated_world

    @property
    def detectors(self) -> Path:
        return self.run_dir / "detectors"

    def detector_version(self, version: int) -> Path:
        return self.detectors / f"v{version}"

    @property
    def realism(self) -> Path:
        return self.run_dir / "realism"

    def realism_fit(self, round_: int) -> Path:
        """The discriminator fitted after round ``round_`` (-1: before the first round)."""
        return self.realism / f"r{round_:04d}.json"

    def latest_realism(self) -> Path | None:
        fits = self.realism.glob("r*.json") if self.realism.is_dir() else []
        return max(fits, key=lambda p: int(p.stem[1:]), default=None)


__all__ = ["EXPERT_STORE", "LLM_CACHE", "STOP", "STORE", "RunLayout"]
