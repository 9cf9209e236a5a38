"""``croissant.json``: the release described in MLCommons Croissant 1.0 (JSON-LD), so that
`mlcroissant` validates it and Croissant-aware loaders read its Parquet files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from experiments.release.config import SPLITS, ReleaseConfig
from experiments.release.files import COLUMNS
from orchestrator.export.card import file_sha256

CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract", "field": "cr:field", "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject", "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5",
    "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "samplingRate": "cr:samplingRate", "equivalentProperty": "cr:equivalentProperty",
    "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform",
}
ACCOUNT_COLUMNS = {
    "account_id": "Account id (the ledger's src_account and dst_account).",
    "bank_id": "Bank of the account.", "account_number": "Synthetic account number (AMLworld's hex style).",
    "entity_id": "Synthetic owner id.", "entity_name": "Synthetic owner name.",
    "profile": "Behavioural profile the generator gave the account.", "kind": "Person or business.",
    "jurisdiction": "Country of the account's bank.", "currency": "Home currency of the account.",
}


def _data_type(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "sc:Boolean"
    if pa.types.is_integer(t):
        return "sc:Integer"
    if pa.types.is_floating(t):
        return "sc:Float"
    if pa.types.is_timestamp(t):
        return "sc:DateTime"
    return "sc:Text"


def _file(out: Path, rel: str, fmt: str, desc: str) -> dict:
    return {"@type": "cr:FileObject", "@id": rel, "name": rel, "description": desc, "contentUrl": rel,
            "encodingFormat": fmt, "sha256": file_sha256(out / rel)}


def _record_set(out: Path, rel: str, rid: str, desc: str, columns: dict[str, str]) -> dict:
    schema = pq.read_schema(out / rel)
    fields = [{"@type": "cr:Field", "@id": f"{rid}/{c}", "name": c, "description": columns[c],
               "dataType": _data_type(schema.field(c).type),
               "source": {"fileObject": {"@id": rel}, "extract": {"column": c}}}
              for c in schema.names if c in columns]
    return {"@type": "cr:RecordSet", "@id": rid, "name": rid, "description": desc, "field": fields}


def croissant(cfg: ReleaseConfig, out: Path, description: str, counts: dict) -> str:
    """The JSON-LD text for the release written under ``out``."""
    dist = [_file(out, f"data/{s}.parquet", "application/x-parquet",
                  f"Transactions of the {s} period ({counts['splits'][s]['rows']:,} rows).") for s in SPLITS]
    dist += [
        _file(out, "accounts.parquet", "application/x-parquet", "Accounts of the World."),
        _file(out, "scenarios.jsonl", "application/jsonlines",
              "One record per placed laundering scenario: ids, subset, period, funds, rows and its DSL."),
    ]
    dist += [_file(out, f"amlworld/{cfg.world.name}_{n}", fmt, d) for n, fmt, d in (
        ("Trans.csv", "text/csv", "Every transaction in IBM AMLworld's CSV format (rows in tx_id order)."),
        ("accounts.csv", "text/csv", "Accounts in AMLworld's format."),
        ("Patterns.txt", "text/plain", "Laundering attempts in AMLworld's Patterns format."))]
    sets = [_record_set(out, f"data/{s}.parquet", s, f"Transactions of the {s} period.", COLUMNS)
            for s in SPLITS]
    sets.append(_record_set(out, "accounts.parquet", "accounts", "Accounts.", ACCOUNT_COLUMNS))
    doc = {
        "@context": CONTEXT, "@type": "sc:Dataset", "name": cfg.slug, "description": description,
        "conformsTo": "http://mlcommons.org/croissant/1.0", "license": _licence_url(cfg.license),
        "version": cfg.version,
        "keywords": ["anti-money laundering", "synthetic data", "transaction graph", "benchmark"],
        "creator": {"@type": "sc:Organization", "name": "redledger"},
        "citeAs": f"@misc{{{cfg.name.replace('-', '_')},title={{{cfg.slug}: evolved laundering in a "
                  f"synthetic transaction World}},note={{version {cfg.version}}}}}",
        "datePublished": cfg.published.isoformat(), "isLiveDataset": False, "distribution": dist,
        "recordSet": sets,
    }
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def _licence_url(licence: str) -> str:
    known = {"cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
             "cdla-permissive-2.0": "https://cdla.dev/permissive-2-0/"}
    return known.get(licence.lower(), licence)


__all__ = ["croissant"]
