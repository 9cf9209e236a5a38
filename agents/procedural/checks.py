"""The registry of named realism checks. Each takes a `CheckContext` and returns a
`CheckResult` with a score in [0, 1] and a reason that names what is implausible.

A principle of `agents/principles.toml` with the same name weights the check; a config
can list the checks it wants by name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np

from agents.lexicon import mentions, phrases_found
from agents.models import CheckResult
from agents.procedural.context import CheckContext
from graph_schema.enums import Channel, EntityKind, Role
from graph_schema.tables import CHANNELS, PROFILES

CHECKS: dict[str, Callable[[CheckContext], CheckResult]] = {}


def check(name: str):
    def deco(fn):
        CHECKS[name] = fn
        return fn
    return deco


def _result(name: str, score: float, reason: str) -> CheckResult:
    return CheckResult(name=name, score=float(np.clip(score, 0, 1)), reason=reason[:400])


def _usd(x: float) -> str:
    return f"${x:,.0f}"


@check("amount_plausibility")
def amount_plausibility(ctx: CheckContext) -> CheckResult:
    """Each amount inside its payer profile's background band on that channel."""
    lo_q, hi_q = ctx.bands.amount_quantiles
    la = np.log10(np.maximum(ctx.usd, 1e-6))
    bad, worst = 0, None
    for r in range(len(la)):
        p = ctx.entity_profile[ctx.row_src[r]]
        lo, hi = ctx.stats.amount_band(p, int(ctx.channel[r]), lo_q, hi_q)
        miss = max(lo - la[r], la[r] - hi, 0.0)
        if miss > 0:
            bad += 1
            if worst is None or miss > worst[0]:
                worst = (miss, r, p, lo, hi)
    n = len(la)
    if not bad:
        return _result("amount_plausibility", 1.0, f"all {n} amounts sit inside their payers' usual bands")
    _, r, p, lo, hi = worst
    reason = (f"{bad} of {n} amounts fall outside the payer's usual band; worst: transfer "
              f"'{ctx.transfer_id(r)}' pays {_usd(ctx.usd[r])} by {CHANNELS[ctx.channel[r]]}, where "
              f"{PROFILES[p]} accounts pay {_usd(10 ** lo)}-{_usd(10 ** hi)}")
    return _result("amount_plausibility", 1 - bad / n, reason)


@check("timing_plausibility")
def timing_plausibility(ctx: CheckContext) -> CheckResult:
    """Business-day, business-hour wires; cash in opening hours; no hours the background avoids."""
    hour, wd = ctx.hour_weekday
    b0, b1 = ctx.bands.business_hours
    c0, c1 = ctx.bands.cash_hours
    office = {CHANNELS.index(c.value) for c in (Channel.WIRE, Channel.ACH, Channel.CHEQUE)}
    cash = CHANNELS.index(Channel.CASH.value)
    why: Counter = Counter()
    first: dict[str, int] = {}
    for r, (c, h, d) in enumerate(zip(ctx.channel, hour, wd, strict=True)):
        c, h, d = int(c), int(h), int(d)
        if c in office and (d >= 5 or not b0 <= h < b1):
            k = "outside business days and hours"
        elif c == cash and (d >= 6 or not c0 <= h < c1):
            k = "cash outside opening hours"
        elif ctx.stats.hour_share[c, h] < 0.25 / 24 or ctx.stats.weekday_share[c, d] < 0.25 / 7:
            k = "at a time the background rarely uses"
        else:
            continue
        why[k] += 1
        first.setdefault(k, r)
    n = len(hour)
    bad = sum(why.values())
    if not bad:
        return _result("timing_plausibility", 1.0, f"all {n} transactions happen at usual times")
    parts = [f"{v} {k} (e.g. '{ctx.transfer_id(first[k])}')" for k, v in why.most_common()]
    return _result("timing_plausibility", 1 - bad / n, f"{bad} of {n} transactions: " + "; ".join(parts))


@check("launderers_cut")
def launderers_cut(ctx: CheckContext) -> CheckResult:
    """Intermediaries keep a plausible share of what passes through them."""
    base = ctx.compiled.base_amounts
    inflow: dict[str, float] = defaultdict(float)
    outflow: dict[str, float] = defaultdict(float)
    for r in np.flatnonzero(~ctx.camouflage):
        outflow[ctx.row_src[r]] += base[r]
        inflow[ctx.row_dst[r]] += base[r]
    initial = {e.id for e in ctx.scenario.entities if e.initial_funds}
    kinds = {e.id: e.kind for e in ctx.scenario.entities}
    mids = [e for e in inflow if outflow.get(e) and e not in initial and kinds[e] is not EntityKind.CASH]
    if not mids:
        return _result("launderers_cut", 1.0, "no intermediaries forward funds")
    lo, hi = ctx.bands.cut_min, ctx.bands.cut_max
    scores, notes = [], []
    for e in sorted(mids):
        kept = 1 - outflow[e] / inflow[e]
        miss = (
            (lo - kept) / max(lo, 1e-9)
            if kept < lo
            else (kept - hi) / max(1 - hi, 1e-9)
            if kept > hi
            else 0.0
        )
        scores.append(max(0.0, 1 - min(miss, 1.0)))
        if miss > 0:
            notes.append(f"'{e}' keeps {kept:.1%}")
    if not notes:
        return _result("launderers_cut", 1.0, f"all {len(mids)} intermediaries keep {lo:.1%}-{hi:.0%}")
    return _result(
        "launderers_cut",
        float(np.mean(scores)),
        f"{len(notes)} of {len(mids)} intermediaries keep outside {lo:.1%}-{hi:.0%}: " + ", ".join(notes[:5]),
    )


@check("mule_recruitment")
def mule_recruitment(ctx: CheckContext) -> CheckResult:
    """Recruited accounts of recruitable kinds, few new accounts per bank, mule volumes in reach."""
    s, b = ctx.scenario, ctx.bands
    problems, items = [], 0
    for e in s.entities:
        if e.recruit.mode == "hijack":
            items += 1
            if e.recruit.profile.value not in b.mule_profiles:
                problems.append(f"'{e.id}' hijacks a {e.recruit.profile.value} account")
    new_banks = Counter(ctx.compiled.new_accounts.column("bank_id").to_pylist())
    items += len(new_banks)
    problems += [
        f"{k} new accounts at bank {bank}"
        for bank, k in sorted(new_banks.items())
        if k > b.max_new_accounts_per_bank
    ]
    received: dict[str, float] = defaultdict(float)
    for r in range(len(ctx.usd)):
        received[ctx.row_dst[r]] += ctx.usd[r]
    months = max(s.horizon_days / 30, 1.0)
    for e in s.entities:
        if e.role in (Role.MULE, Role.LAYER) and e.kind is EntityKind.PERSON and e.id in received:
            items += 1
            typical = ctx.stats.monthly_volume[ctx.entity_profile[e.id]]
            if np.isfinite(typical) and received[e.id] > b.mule_volume_ratio * months * max(typical, 1.0):
                problems.append(
                    f"mule '{e.id}' receives {_usd(received[e.id])}, "
                    f"{received[e.id] / (months * max(typical, 1.0)):.0f}x a "
                    f"{PROFILES[ctx.entity_profile[e.id]]} account's monthly volume"
                )
    if not items:
        return _result("mule_recruitment", 1.0, "no recruited accounts")
    if not problems:
        return _result("mule_recruitment", 1.0, f"{items} recruitment choices are plausible")
    return _result("mule_recruitment", 1 - len(problems) / items, "; ".join(problems[:4]))


@check("camouflage")
def camouflage(ctx: CheckContext) -> CheckResult:
    """How far the involved accounts' behaviour sits from their profile's background."""
    st, z_lim = ctx.stats, ctx.bands.camouflage_z
    la = np.log10(np.maximum(ctx.usd, 1e-6))
    skip = {EntityKind.CASH, EntityKind.CRYPTO_EXCHANGE, EntityKind.MONEY_SERVICE}
    n_sc_out = Counter(ctx.row_src)
    n_sc = n_sc_out + Counter(ctx.row_dst)
    sum_sc_out: dict[str, float] = defaultdict(float)
    for e_id, x in zip(ctx.row_src, la, strict=True):
        sum_sc_out[e_id] += x
    scores, worst = [], None
    for e in ctx.scenario.entities:
        if e.kind in skip:
            continue
        acc, p = ctx.compiled.entity_accounts[e.id], ctx.entity_profile[e.id]
        if not np.isfinite(st.rate_sd[p]) or not np.isfinite(st.amount_sd[p]):
            continue
        n_bg, out_bg, sum_bg = (
            (st.account_n[acc], st.account_out[acc], st.account_logsum[acc]) if acc >= 0 else (0, 0, 0.0)
        )
        z_rate = (np.log1p((n_bg + n_sc[e.id]) / st.days) - st.rate_mu[p]) / st.rate_sd[p]
        n_out = out_bg + n_sc_out[e.id]
        z_amt = ((sum_bg + sum_sc_out[e.id]) / n_out - st.amount_mu[p]) / st.amount_sd[p] if n_out else 0.0
        z = max(abs(z_rate), abs(z_amt))
        scores.append(min(1.0, z_lim / z) if z > 0 else 1.0)
        if worst is None or z > worst[0]:
            worst = (
                z,
                e.id,
                "transaction rate" if abs(z_rate) >= abs(z_amt) else "typical amount",
                PROFILES[p],
            )
    if not scores:
        return _result("camouflage", 1.0, "no customer accounts involved")
    z, eid, what, prof = worst
    if z <= z_lim:
        return _result(
            "camouflage",
            float(np.mean(scores)),
            f"all {len(scores)} accounts stay within {z_lim:g} sd of their peers",
        )
    return _result(
        "camouflage",
        float(np.mean(scores)),
        f"'{eid}' stands out: its {what} is {z:.1f} sd from {prof} accounts",
    )


_COUNT = re.compile(
    r"\b(\d{1,4})\s+(?:\w+\s)?(accounts?|recipients?|mules?|transfers?|payments?|"
    r"compan(?:y|ies)|shells?|hops?|layers?|parts?|deposits?|banks?|"
    r"jurisdictions?|countries|senders?|beneficiar(?:y|ies)|entities)\b"
)
_SPAN = re.compile(r"\b(?:within|over|in|across)\s+(\d{1,3})\s+(hours?|days?|weeks?)\b")
_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty": 20,
}


def _numbers(text: str) -> str:
    return re.sub(r"\b(" + "|".join(_WORDS) + r")\b", lambda m: str(_WORDS[m.group(1)]), text.lower())


@check("narrative_grounding")
def narrative_grounding(ctx: CheckContext) -> CheckResult:
    """MiniCheck-style: each checkable claim of the narrative must hold in the compiled graph."""
    s, text = ctx.scenario, _numbers(ctx.scenario.narrative)
    if not text.strip():
        return _result("narrative_grounding", 0.5, "the narrative is empty, so nothing is grounded")
    rows = ctx.compiled.rows
    dsts = Counter(ctx.row_dst)
    counts = {
        len(s.entities),
        len(s.entities) - 1,
        len(s.transfers),
        rows.num_rows,
        len(set(ctx.row_src)),
        len(dsts),
        len(set(rows.column("src_bank").to_pylist())),
        len({e.jurisdiction for e in s.entities}),
    }
    counts |= set(Counter(e.role for e in s.entities).values()) | set(
        Counter(e.kind for e in s.entities).values()
    )
    counts |= {sum(1 for e in s.entities if e.recruit.mode == "hijack")}
    counts |= set(Counter(t.src for t in s.transfers).values()) | set(
        Counter(t.dst for t in s.transfers).values()
    )
    claims: list[tuple[str, bool]] = []
    for m in _COUNT.finditer(text):
        claims.append((m.group(0), int(m.group(1)) in counts))
    span_h = (ctx.timestamps.max() - ctx.timestamps.min()) / 3600 if rows.num_rows else 0
    for m in _SPAN.finditer(text):
        hours = int(m.group(1)) * {"h": 1, "d": 24, "w": 168}[m.group(2)[0]]
        claims.append((m.group(0), span_h <= hours * 1.1))
    used = {CHANNELS[c] for c in np.unique(ctx.channel)}
    for ch in mentions(text, "channel"):
        claims.append((f"uses {ch}", ch in used))
    places = {e.jurisdiction for e in s.entities}
    for code in mentions(text, "jurisdiction"):
        claims.append((f"involves {code}", code in places))
    tags = {t.value for t in s.typology}
    for typ in mentions(text, "typology"):
        claims.append((f"is {typ}", typ in tags or typ in {"mule_network", "crypto_ramp"} & _implied(ctx)))
    if not claims:
        return _result("narrative_grounding", 0.8, "the narrative makes no checkable claim")
    bad = [c for c, ok in claims if not ok]
    if not bad:
        return _result("narrative_grounding", 1.0, f"all {len(claims)} claims hold in the compiled graph")
    return _result(
        "narrative_grounding",
        1 - len(bad) / len(claims),
        f"{len(bad)} of {len(claims)} claims do not hold: " + "; ".join(f"'{c}'" for c in bad[:4]),
    )


def _implied(ctx: CheckContext) -> set[str]:
    """Typologies the graph shows without a tag: mules, crypto legs."""
    out = set()
    if any(e.role is Role.MULE for e in ctx.scenario.entities):
        out.add("mule_network")
    if CHANNELS.index(Channel.BITCOIN.value) in set(ctx.channel.tolist()):
        out.add("crypto_ramp")
    return out


@check("responsible_scope")
def responsible_scope(ctx: CheckContext) -> CheckResult:
    """Typology-level narrative: no instructions, no real institutions, a few sentences."""
    text = f"{ctx.scenario.name}. {ctx.scenario.narrative}"
    found = phrases_found(text, "scope", "instructions") + phrases_found(text, "scope", "real_institutions")
    sentences = len([x for x in re.split(r"[.!?]+\s", ctx.scenario.narrative) if x.strip()])
    if found:
        return _result(
            "responsible_scope",
            0.0,
            "the narrative reads as instructions or names real "
            f"institutions: {', '.join(repr(f) for f in found[:4])}",
        )
    if sentences > 4:
        return _result(
            "responsible_scope",
            0.5,
            f"the narrative runs to {sentences} sentences; keep it to a typology-level summary of at most 4",
        )
    return _result("responsible_scope", 1.0, "typology-level narrative with synthetic names")


__all__ = ["CHECKS", "check"]
