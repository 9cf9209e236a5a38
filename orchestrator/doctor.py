"""`redledger doctor`: what a user checks before a long job. The Python packages, DGL, a
local Ray instance, and one structured call per LLM role on each configured backend."""

from __future__ import annotations

import asyncio
import importlib.metadata as md
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from packaging.requirements import Requirement

from agents.errors import ConfigError
from agents.llm import Backend
from agents.llm.local_server import model_file
from agents.llm.models import describe
from agents.llm.probe import ProbeResult, generation_speed, probe
from orchestrator.engine import RunConfig, ray_runner, ray_session, ray_started


@dataclass
class Check:
    """One environment check: what, whether it passed, how long it took, and the detail."""

    name: str
    ok: bool
    seconds: float
    detail: str


def _timed(name: str, fn) -> Check:
    t0 = time.monotonic()
    try:
        detail = fn()
        ok = True
    except Exception as err:  # noqa: BLE001 - a check reports its failure in one line
        detail, ok = " ".join(f"{type(err).__name__}: {err}".split())[:300], False
    return Check(name, ok, time.monotonic() - t0, detail)


def _packages() -> str:
    """Every requirement of the installed project is present at an allowed version."""
    reqs = [Requirement(r) for r in md.requires("redledger") or []]
    reqs = [r for r in reqs if r.marker is None]  # extras (dev, local-llm) are checked where used
    bad = []
    for r in reqs:
        try:
            v = md.version(r.name)
        except md.PackageNotFoundError:
            bad.append(f"{r.name} is not installed")
            continue
        if r.specifier and not r.specifier.contains(v, prereleases=True):
            bad.append(f"{r.name} {v} does not satisfy '{r.specifier}'")
    if bad:
        raise RuntimeError("; ".join(bad))
    return f"{len(reqs)} requirements met (torch {md.version('torch')}, ray {md.version('ray')})"


_DGL_PROBE = (
    "import torch; from detectors._dgl import dgl; "
    "g = dgl.graph((torch.tensor([0, 1]), torch.tensor([1, 2]))); print(dgl.__version__, g.num_edges())"
)


def _dgl() -> str:
    """DGL imported in a fresh process (this one has it loaded already), and a graph built."""
    p = subprocess.run([sys.executable, "-c", _DGL_PROBE], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError((p.stderr.strip().splitlines() or ["no output"])[-1])
    version, edges = p.stdout.split()
    return f"dgl {version} imported in a fresh process; a 3-node graph has {edges} edges"


def _answer() -> int:
    return 21 * 2


def _ray() -> str:
    if ray_started():
        return "Ray is already initialised in this process"
    with tempfile.TemporaryDirectory(prefix="rl-doctor-") as tmp:
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        with ray_session(workers=1, temp_dir=tmp):
            (n,) = ray_runner(_answer, (), [()])
    return f"ray {md.version('ray')}: started a local instance, ran a task ({n}), stopped it"


def environment() -> list[Check]:
    """The packages, DGL and Ray, each timed."""
    return [_timed("python packages", _packages), _timed("dgl import", _dgl), _timed("ray start/stop", _ray)]


def _local_model(backend: Backend) -> Check:
    """What a local backend serves (name, size, quantisation, licence from its GGUF) and how
    fast it answers here."""
    def run() -> str:
        what = describe(model_file(backend.cfg.local))
        n, secs = asyncio.run(generation_speed(backend))
        return f"{what}; {n} tokens in {secs:.1f} s = {n / max(secs, 1e-9):.1f} tokens/s " \
               f"({backend.cfg.local.n_threads} thread(s), load {os.getloadavg()[0]:.1f})"
    return _timed(f"model of backend '{backend.cfg.local.model}'", run)


def backends(cfg: RunConfig, models: list[Check] | None = None) -> list[ProbeResult]:
    """One structured call per LLM role, on its backend (started once, then stopped); for a
    local backend, what model it serves and its speed are appended to ``models``."""
    agents = cfg.agents
    out: list[ProbeResult] = []
    by_backend: dict[str, list[str]] = {}
    for role in agents.llm_roles():
        by_backend.setdefault(getattr(agents, role).backend, []).append(role)
    for name, roles in by_backend.items():
        bcfg = agents.backends[name]
        backend = Backend(bcfg, cache=None)
        try:
            backend.start()
        except (ConfigError, RuntimeError, OSError) as err:
            reason = " ".join(str(err).split())[:300]
            out += [
                ProbeResult(
                    role,
                    bcfg.base_url or bcfg.kind,
                    bcfg.model,
                    "-",
                    0.0,
                    0,
                    0,
                    f"backend '{name}' did not start: {reason}",
                )
                for role in roles
            ]
            continue
        try:
            for role in roles:
                out.append(asyncio.run(probe(backend, role)))
            if bcfg.kind == "local" and models is not None:
                models.append(_local_model(backend))
        finally:
            backend.close()
    return out


__all__ = ["Check", "backends", "environment"]
