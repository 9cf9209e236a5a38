"""Which mutation operator answers what: the adversary's flagged transfers and the
critic's objections raise the weight of the operators that address them.

A flagged fan leads to "reduce fan degree", a flagged large transfer to "split into
structured deposits" or "mimic the payer's amounts", a flagged quick pass-through to "add
delay" or "insert a hop", a flagged new account to "recruit a hijacked account", a flagged
transfer off its channel's calendar to "align with the calendar", one on a channel its payer
may seldom use to "pay on the payer's usual channels"; the critic's amount,
timing and camouflage objections go to the operators that can answer them (mimic amounts,
calendar timing, a cash-intensive business as cover, payments riding the payer's own), and
each feature the realism discriminator names to the operators that move it
(`agents.procedural.giveaway`). Every operator keeps a base weight so that the search never
stops exploring.
"""

from __future__ import annotations

from collections import Counter

from agents.models import Candidate
from agents.procedural.giveaway import fixes

BASE_WEIGHT = 1.0
BOOST = 3.0
# critic check -> operators that tend to raise its score
CRITIQUE_FIXES = {
    "camouflage": ["mimic_amounts", "business_cover", "add_camouflage", "spread_over_time"],
    "timing_plausibility": ["align_calendar", "spread_over_time", "add_delay"],
    "amount_plausibility": ["mimic_amounts", "business_cover", "split_structured"],
    "mule_recruitment": ["recruit_hijacked", "insert_hop"],
    "volume": ["share_load", "front_business", "ride_flows"],  # the critic's volume gate
}


def steer(c: Candidate, operators: list[str]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Operator weights for mutating ``c``, and for each operator what it would answer."""
    w = {op: BASE_WEIGHT for op in operators}
    answers: dict[str, list[str]] = {op: [] for op in operators}

    def push(op: str, why: str, boost: float = BOOST) -> None:
        if op in w:
            w[op] += boost
            answers[op].append(why)

    s = c.scenario
    if c.report is not None:
        by_id = {t.id: t for t in s.transfers}
        real = [t for t in s.transfers if t.purpose.value != "camouflage"]
        outs, ins = Counter(t.src for t in real), Counter(t.dst for t in real)
        new = {e.id for e in s.entities if e.recruit.mode == "new"}
        waits = {t.id for t in real if t.timing.after and t.timing.delay.high <= 24}
        for ev in c.report.transfers:
            t = by_id.get(ev.transfer)
            if t is None or not ev.flagged_rows:
                continue
            why = f"flagged transfer '{t.id}' (score {ev.max_score:.2f})"
            if outs[t.src] >= 3 or ins[t.dst] >= 3:
                push("reduce_fan_degree", why + " sits in a fan", 1.5 * BOOST)  # the most specific cue
            if t.amount.kind != "split" or t.amount.parts < 10:
                push("split_structured", why, BOOST / 2)
            if t.amount.kind != "mimic":  # an amount far from the payer's own gives it away
                push("mimic_amounts", why + " is not sized like its payer's payments", BOOST / 2)
            if not t.timing.calendar:
                push("align_calendar", why + " is off its channel's calendar", BOOST / 3)
            if t.id in waits:
                push("add_delay", why + " passes funds on quickly")
                push("insert_hop", why + " is a direct pass-through", BOOST / 2)
            if t.src in new or t.dst in new:
                push("recruit_hijacked", why + " touches a newly opened account")
            if not t.usual_channel:  # a payment on a channel its payer seldom uses stands out
                push("usual_channel", why + " is not on its payer's usual channels", BOOST / 3)
            push("change_channel", why, BOOST / 3)
            push("add_camouflage", why, BOOST / 3)
        if c.report.flagged_transfers and len(c.report.flagged_transfers) > len(real) / 2:
            push("spread_over_time", "most transfers are flagged")
    if c.review is not None:
        for cr in c.review.critiques:
            for op in CRITIQUE_FIXES.get(cr.check, []):
                push(op, cr.key, BOOST * cr.severity)
            for rank, feature in enumerate(cr.features):  # the discriminator's giveaways, most telling first
                for op in fixes(feature):
                    push(op, f"{cr.check}: {feature}", BOOST * cr.severity / (rank + 1))
    return w, answers


__all__ = ["CRITIQUE_FIXES", "steer"]
