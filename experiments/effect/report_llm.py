"""The LLM roles' cost in the effect report: per arm and role, how many turns ended with a
valid answer, the repairs they needed, and tokens and seconds per valid answer and per
accepted scenario (`results.json`'s ``e3[arm]["llm"]``)."""

from __future__ import annotations

from experiments.effect.tables import table


def llm_rows(res: dict) -> list[list]:
    rows = []
    for arm in [a for a in res["arms"] if a in res["e3"]]:
        r = res["e3"][arm]
        accepted = r["validity"]["valid"]
        for role, u in sorted(r.get("llm", {}).items()):
            turns, valid = u["turns"], u["valid"]
            tokens = u["prompt_tokens"] + u["completion_tokens"]
            rows.append([
                arm,
                role,
                turns,
                f"{valid} ({valid / turns:.0%})" if turns else "0",
                f"{(u['requests'] - turns) / turns:.2f}" if turns else "-",
                f"{u['completion_tokens'] / u['requests']:.0f}" if u["requests"] else "-",
                f"{tokens / valid:,.0f}" if valid else "-",
                f"{u['seconds'] / valid:.0f}" if valid else "-",
                f"{accepted} / {u['seconds'] / accepted:.0f} s" if accepted else "0",
            ])
    return rows


def llm_table(res: dict) -> list[str]:
    """The LLM cost table, or nothing when every role of every arm is procedural."""
    rows = llm_rows(res)
    if not rows:
        return []
    return [
        "### LLM roles: validity and cost",
        "",
        *table(
            [
                "arm",
                "role",
                "turns",
                "valid answers (after repairs)",
                "repairs per turn",
                "answer tokens per request",
                "tokens per valid answer",
                "seconds per valid answer",
                "accepted scenarios of the arm / this role's seconds per accepted",
            ],
            rows,
        ),
        "A turn is one role call: its first request plus the repairs the answer needed (compile "
        "errors and schema violations go back to the model, at most `repair_attempts` requests). "
        "Tokens and seconds count every request not served from the call cache, failed ones "
        "included; accepted scenarios are the arm's proposals the critic accepts with its gate on.",
        "",
    ]


__all__ = ["llm_rows", "llm_table"]
