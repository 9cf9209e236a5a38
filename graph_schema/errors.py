"""The one error a scenario can raise, written for the planner that will read it."""

from __future__ import annotations

from pydantic import ValidationError


class ScenarioError(ValueError):
    """A scenario breaks a rule of the DSL.

    The message is ``"<json path>: <rule broken>"`` so that it can go back to a planner
    verbatim. ``path`` and ``rule`` are kept apart for programmatic use.
    """

    def __init__(self, path: str, rule: str):
        self.path = path or "$"
        self.rule = rule
        super().__init__(f"{self.path}: {rule}")

    @classmethod
    def from_validation(cls, err: ValidationError) -> ScenarioError:
        """Turn pydantic's first validation error into a one-line ScenarioError."""
        first = err.errors()[0]
        path = json_path(first.get("loc", ()))
        extra = len(err.errors()) - 1
        more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
        return cls(path, f"{first['msg']}{more}")


# Location parts pydantic adds for tagged unions and function validators; not JSON keys.
_UNION_TAGS = {"fixed", "range", "fraction", "split", "mimic", "new", "hijack"}


def json_path(loc: tuple | list) -> str:
    """Render a pydantic location tuple as a JSON path like ``transfers[2].amount.value``."""
    out = ""
    for part in loc:
        if isinstance(part, str) and (part in _UNION_TAGS or part.startswith("function-")):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "$"
