"""The DSL: schema generated from the models, every field described, content-hash ids."""

from graph_schema import Scenario, scenario_json_schema
from tests.conftest import fan_doc


def _walk(schema: dict, defs: dict, seen: set, missing: list, where: str) -> None:
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        if name not in seen:
            seen.add(name)
            _walk(defs[name], defs, seen, missing, name)
        return
    for prop, sub in schema.get("properties", {}).items():
        if not sub.get("description"):
            missing.append(f"{where}.{prop}")
        _walk(sub, defs, seen, missing, f"{where}.{prop}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _walk(schema[key], defs, seen, missing, where)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _walk(sub, defs, seen, missing, where)


def test_every_field_of_the_schema_has_a_description():
    schema = scenario_json_schema()
    missing: list[str] = []
    _walk(schema, schema["$defs"], set(), missing, "Scenario")
    assert not missing, missing
    assert {"Entity", "Transfer", "FixedAmount", "SplitAmount", "Timing", "Lineage"} <= set(schema["$defs"])


def test_schema_lists_amlworld_payment_formats():
    channels = scenario_json_schema()["$defs"]["Channel"]["enum"]
    assert channels == ["ACH", "Bitcoin", "Cash", "Cheque", "Credit Card", "Reinvestment", "Wire"]


def test_uid_is_a_content_hash_that_ignores_lineage():
    a = Scenario.model_validate(fan_doc())
    b = Scenario.model_validate(fan_doc(lineage={"parents": ["x"], "operator": "op", "generation": 3}))
    c = Scenario.model_validate(fan_doc(funds_placed=50_001))
    assert a.uid == b.uid
    assert a.uid != c.uid


def test_narrative_is_length_capped():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Scenario.model_validate(fan_doc(narrative="x" * 401))
