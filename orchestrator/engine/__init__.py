"""The run engine: config, run directory, set-up, Ray hosts, the supervisor's rounds of
debates, tournament, QD archive and the run store. This module is its public API: the
user's interfaces (`orchestrator.cli`, `.web`, `.report`, `.export`, `.doctor`) and
`experiments` import from here only, never from a module inside the engine.

- `config`: `RunConfig` (TOML + pydantic, every field described), `load_toml`.
- `preflight`: `check_run_config`, every check that needs more than pydantic, before any work.
- `layout`: `RunLayout`, the run directory's files and folders.
- `rundir`: `open_run` (create, resume, or take over a failed start), `request_stop`.
- `run`: `execute`, the set-up and the rounds until a budget ends or a stop.
- `hosts`, `actors`, `roles`: where the roles run (inline or Ray actors) and how they are called.
- `supervisor`, `debate`, `tournament`, `archive`: the loop itself.
- `defender`: the World and the detector versions of a run.
- `store`: the run store (SQLite, the checkpoint) and the expert verdicts.
- `view`: `RunView`, read-only views of a run for every interface; `progress`: `Progress`.
- `ray_session`: the one way redledger starts or joins Ray.
"""

from orchestrator.engine.archive import (
    SEP,
    Archive,
    CellGrid,
    cell_grid,
    entropy,
    funds_weighted,
    volume_band,
)
from orchestrator.engine.config import (
    ArchiveConfig,
    ConfigFileError,
    RunConfig,
    first_difference,
    load_toml,
)
from orchestrator.engine.layout import EXPERT_STORE, LLM_CACHE, STOP, STORE, RunLayout
from orchestrator.engine.preflight import check_run_config
from orchestrator.engine.progress import Progress
from orchestrator.engine.ray_session import WORKER_ENV, RayPool, ray_runner, ray_session, ray_started
from orchestrator.engine.run import execute
from orchestrator.engine.rundir import RunDirError, open_run, request_stop
from orchestrator.engine.store import RunStore, StoreError
from orchestrator.engine.store.expert import ExpertError, ExpertStore, ExpertVerdict, label_record
from orchestrator.engine.supervisor import RunOutcome
from orchestrator.engine.view import InspectError, RunView, pid_alive, run_state

__all__ = [
    "EXPERT_STORE",
    "LLM_CACHE",
    "SEP",
    "STOP",
    "STORE",
    "WORKER_ENV",
    "Archive",
    "ArchiveConfig",
    "CellGrid",
    "ConfigFileError",
    "ExpertError",
    "ExpertStore",
    "ExpertVerdict",
    "InspectError",
    "Progress",
    "RayPool",
    "RunConfig",
    "RunDirError",
    "RunLayout",
    "RunOutcome",
    "RunStore",
    "RunView",
    "StoreError",
    "cell_grid",
    "check_run_config",
    "entropy",
    "execute",
    "first_difference",
    "funds_weighted",
    "label_record",
    "load_toml",
    "open_run",
    "pid_alive",
    "ray_runner",
    "ray_session",
    "ray_started",
    "request_stop",
    "run_state",
    "volume_band",
]
