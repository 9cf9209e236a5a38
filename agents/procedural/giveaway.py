"""The realism discriminator as a critic check, and which operators answer what it names.

The check asks `detectors.discriminator.RealismDiscriminator` (refit by the loop on the
scenarios it has seen) whether the scenario's accounts can be told from matched legitimate
accounts of their profiles; the objection names the behaviour features that give them
away, and steering sends each feature to the operators that can change it.
"""

from __future__ import annotations

from agents.models import CheckResult
from agents.procedural.checks import check
from agents.procedural.context import CheckContext

NAME = "realism_discriminator"

# feature of detectors.realism.account_features -> (words, operators that tend to move it)
FEATURES: dict[str, tuple[str, list[str]]] = {
    "mean_log_usd": ("typical amount", ["mimic_amounts", "front_business", "split_structured"]),
    "std_log_usd": ("spread of amounts", ["mimic_amounts", "split_structured"]),
    "log_sum_out": ("money paid out", ["share_load", "front_business", "mimic_amounts", "business_cover",
                                       "ride_flows"]),
    "log_sum_in": ("money received", ["share_load", "front_business", "mimic_amounts", "business_cover"]),
    "round": ("round amounts", ["mimic_amounts"]),
    "hour_sin": ("hour of day", ["align_calendar"]),
    "hour_cos": ("hour of day", ["align_calendar"]),
    "weekend": ("weekend share", ["align_calendar"]),
    "log_gap_h": ("gaps between payments", ["spread_over_time", "align_calendar", "add_delay"]),
    "span": ("active span", ["recruit_hijacked", "spread_over_time", "add_camouflage"]),  # new: short-lived
    "n_out": ("payments made", ["share_load", "reduce_fan_degree", "front_business", "ride_flows"]),
    "n_in": ("payments received", ["share_load", "reduce_fan_degree", "front_business"]),
    "counterparties": ("counterparties", ["reduce_fan_degree", "business_cover", "ride_flows"]),
    "pass_through": ("pass-through of funds", ["add_camouflage", "business_cover", "add_delay"]),
    "cross_currency": ("cross-currency share", ["change_channel"]),
}
CHANNEL_FIX = ["usual_channel", "change_channel", "business_cover"]


def words(feature: str) -> str:
    if feature.startswith("ch_"):
        return f"{feature[3:]} share"
    return FEATURES.get(feature, (feature, []))[0]


def fixes(feature: str) -> list[str]:
    """Operators that tend to move ``feature`` towards the accounts' peers."""
    return CHANNEL_FIX if feature.startswith("ch_") else FEATURES.get(feature, ("", []))[1]


@check(NAME)
def realism_discriminator(ctx: CheckContext) -> CheckResult:
    """1 while the discriminator cannot tell the scenario's accounts from their peers."""
    if ctx.discriminator is None or not ctx.discriminator.fitted:
        raise ValueError(f"check '{NAME}' needs a fitted realism discriminator (the run's `realism` section)")
    g = ctx.discriminator.judge(ctx.compiled)
    names = [f for f, _ in g.features]
    rank = "" if g.rank is None else f"they rank above {g.rank:.0%} of them, "
    if g.score >= 0.999:
        reason = f"its {g.accounts} accounts pass for their peers ({rank}discriminator p {g.p:.2f})"
    else:
        told = ", ".join(f"{words(f)} ({f} +{c:.2f})" for f, c in g.features) or "no single feature"
        reason = (f"the realism discriminator tells its {g.accounts} accounts from matched peers of their "
                  f"profiles ({rank}p {g.p:.2f}); what gives them away: {told}")
    return CheckResult(name=NAME, score=round(g.score, 4), reason=reason[:400], features=names)


__all__ = ["FEATURES", "NAME", "fixes", "realism_discriminator", "words"]
