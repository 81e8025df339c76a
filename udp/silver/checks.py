"""The matching configuration checked whole before Spark starts: every blocking key and rule, identifier, comparison
and level that `matching` names must exist. Each mistake is one `ConfigError` naming the key, the unknown name and
what is known — the same errors a run would otherwise raise mid-job, after its first Spark jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from udp.errors import ConfigError
from udp.models import SURVIVING_ATTRIBUTES
from udp.settings.matching import MatchingSettings
from udp.silver.blocking import MAX_RULES, rule_columns
from udp.silver.compare import LEVELS, labels_of, level_problem
from udp.silver.match import TF_KEYS
from udp.silver.records import MATCH_KEYS


def check_matching(settings: MatchingSettings) -> None:
    """Raise the first problem of `matching_problems` as a ConfigError."""
    problems = matching_problems(settings)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)


def matching_problems(settings: MatchingSettings) -> list[str]:
    """Every name in `settings` that nothing defines, as messages naming the key."""
    known = {name: labels_of(name) for name in LEVELS}
    rules = [r.name for r in settings.blocking.rules]
    out = []
    if len(rules) > MAX_RULES:
        out.append(f"matching.blocking.rules: {len(rules)} rules, at most {MAX_RULES}")
    for rule in settings.blocking.rules:
        try:
            rule_columns(rule)
        except ConfigError as e:
            out.append(str(e))
    out += _unknown("matching.training.blocking_rules", "rule", settings.training.blocking_rules, rules)
    out += _unknown("matching.deterministic.identifiers", "identifier", settings.deterministic.identifiers, MATCH_KEYS)
    out += _unknown("matching.training.term_frequency", "comparison", settings.training.term_frequency, TF_KEYS)
    out += _unknown("matching.guards", "comparison", settings.guards, known)
    out += _unknown("matching.cluster.conflicts", "comparison", settings.cluster.conflicts, known)
    out += _unknown("matching.survivorship", "attribute", settings.survivorship, SURVIVING_ATTRIBUTES)
    # Only a compound guard may name `missing` (a side lacks the value): it fires on what is missing too.
    levels: list[tuple[str, Mapping[str, Iterable[str]], bool]] = [
        *((f"matching.compound_guards.{g}", conds, True) for g, conds in settings.compound_guards.items()),
        ("matching.corroboration", settings.corroboration, False),
        ("matching.training.fixed_m", settings.training.fixed_m, False),
        ("matching.training.fixed_u", settings.training.fixed_u, False),
    ]
    for key, named, allow in levels:
        problems = (level_problem(known, n, list(labels), key, allow_missing=allow) for n, labels in named.items())
        out += [p for p in problems if p]
    return out


def _unknown(key: str, what: str, names: Iterable[str], known: Iterable[str]) -> list[str]:
    known = list(known)
    return [f"{key}: unknown {what} {n!r}; {what}s: {', '.join(known)}" for n in names if n not in known]
