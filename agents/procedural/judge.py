"""The procedural judge: realism gate first, then utility = weighted realism and evasion."""

from __future__ import annotations

from agents.base import Judge
from agents.errors import RoleError
from agents.models import Candidate, Verdict, Winner
from agents.principles import Principles, evasion_of, load_principles, utility


class PrinciplesJudge(Judge):
    """(A, B) -> Verdict under the judge principles of `agents/principles.toml` (no LLM)."""

    def __init__(self, principles: Principles | None = None):
        self.principles = principles or load_principles()

    async def compare(self, a: Candidate, b: Candidate) -> Verdict:
        for tag, c in (("A", a), ("B", b)):
            if c.review is None or c.report is None:
                raise RoleError("judge", f"candidate {tag} ({c.scenario.uid}) has no review or "
                                "evasion report; the judge compares evaluated candidates")
        j = self.principles.judge
        ok_a, ok_b = a.review.realism >= j.realism_floor, b.review.realism >= j.realism_floor
        if ok_a != ok_b:
            w = Winner.A if ok_a else Winner.B
            return Verdict(winner=w, confidence=0.9, rationale=(
                f"realism_gate: only candidate {w.value.upper()} reaches the realism floor "
                f"{j.realism_floor:.2f} (A {a.review.realism:.2f}, B {b.review.realism:.2f})"))
        ua, ub = utility(a, self.principles), utility(b, self.principles)
        gap = ua - ub
        ea, eb = (evasion_of(c.report, j.evasion_measure, c.review) for c in (a, b))
        why = (f"utility A {ua:.3f} vs B {ub:.3f} (realism {a.review.realism:.2f}/{b.review.realism:.2f}, "
               f"{j.evasion_measure} evasion {ea:.2f}/{eb:.2f})")
        if abs(gap) < j.tie_margin:
            return Verdict(winner=Winner.TIE, confidence=0.5, rationale=f"economy: tie, {why}")
        w = Winner.A if gap > 0 else Winner.B
        rule = "evasion" if abs(ea - eb) * j.evasion_weight >= abs(gap) / 2 else "economy"
        return Verdict(winner=w, confidence=round(min(1.0, 0.5 + abs(gap)), 4),
                       rationale=f"{rule}: {w.value.upper()} is better, {why}")


__all__ = ["PrinciplesJudge"]
